"""Loading MuseTalk 1.5's parts from the model store (no network, no code download).

- ``musetalk-v15``: ``musetalkV15/musetalk.json`` (UNet2DConditionModel config) and
  ``musetalkV15/unet.pth`` (its state dict, loaded with ``weights_only=True``).
- ``sd-vae-ft-mse``: diffusers AutoencoderKL folder.
- ``whisper-tiny``: transformers WhisperModel folder (only the encoder is kept).
- ``face-parse-bisenet``: ``79999_iter.pth`` (BiSeNet state dict), optional.
- ``antelopev2``: the SCRFD face detector (see ``face.py``).

Every loader first checks that all required models are installed (one message naming every
missing one), and reads files through :func:`load_or_damaged` (a damaged file: "download again").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from studio.core.errors import BadInput
from studio.models.loading import load_or_damaged
from studio.pipelines.context import RunContext

UNET_ID = "musetalk-v15"
VAE_ID = "sd-vae-ft-mse"
WHISPER_ID = "whisper-tiny"
PARSER_ID = "face-parse-bisenet"
DETECTOR_ID = "antelopev2"
REQUIRED = (UNET_ID, VAE_ID, WHISPER_ID, DETECTOR_ID)  # the parser is optional
VAE_SCALE = 0.18215  # sd-vae-ft-mse's config has no scaling_factor; MuseTalk uses SD's


@dataclass
class AudioEncoder:
    encoder: Any  # transformers WhisperEncoder
    extractor: Any  # WhisperFeatureExtractor
    device: str
    dtype: Any


def positional_encoding(length: int, dim: int = 384) -> Any:
    """Sinusoidal position table MuseTalk adds to the audio tokens before the UNet."""
    import torch

    position = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * div)
    table[:, 1::2] = torch.cos(position * div)
    return table


def require_models(ctx: RunContext) -> None:
    """ModelMissing naming every missing lipsync model at once (not one per run)."""
    ctx.store.require_all(*REQUIRED)


def load_unet(ctx: RunContext) -> Any:
    require_models(ctx)
    folder = ctx.store.model_dir(UNET_ID) / "musetalkV15"

    def read() -> Any:
        import torch
        from diffusers import UNet2DConditionModel

        config = json.loads((folder / "musetalk.json").read_text(encoding="utf-8"))
        config = {k: v for k, v in config.items() if not k.startswith("_")}
        unet: Any = UNet2DConditionModel(**config)
        state = torch.load(folder / "unet.pth", map_location="cpu", weights_only=True)
        unet.load_state_dict(state, strict=True)
        if unet.config.in_channels != 8 or unet.config.cross_attention_dim != 384:
            raise BadInput("The installed MuseTalk UNet is not the 1.5 layout (8 ch, 384-d).")
        return unet

    def loader() -> Any:
        unet = load_or_damaged(UNET_ID, read, ctx.store.catalogue)
        return unet.to(ctx.device, ctx.dtype).eval().requires_grad_(False)

    return ctx.model(f"{UNET_ID}:{ctx.device}:{ctx.dtype}", loader)


def load_vae(ctx: RunContext) -> Any:
    require_models(ctx)
    folder = ctx.store.model_dir(VAE_ID)

    def read() -> Any:
        from diffusers import AutoencoderKL

        return AutoencoderKL.from_pretrained(folder, local_files_only=True)

    def loader() -> Any:
        vae = load_or_damaged(VAE_ID, read, ctx.store.catalogue)
        return vae.to(ctx.device, ctx.dtype).eval().requires_grad_(False)

    return ctx.model(f"{VAE_ID}:{ctx.device}:{ctx.dtype}", loader)


def load_audio_encoder(ctx: RunContext) -> AudioEncoder:
    require_models(ctx)
    folder = ctx.store.model_dir(WHISPER_ID)

    def read() -> tuple[Any, Any]:
        from transformers import WhisperFeatureExtractor, WhisperModel

        model = WhisperModel.from_pretrained(folder, local_files_only=True)
        return model, WhisperFeatureExtractor.from_pretrained(folder, local_files_only=True)

    def loader() -> AudioEncoder:
        model, extractor = load_or_damaged(WHISPER_ID, read, ctx.store.catalogue)
        encoder = model.get_encoder().to(ctx.device, ctx.dtype).eval().requires_grad_(False)
        return AudioEncoder(encoder, extractor, ctx.device, ctx.dtype)

    return ctx.model(f"{WHISPER_ID}:{ctx.device}:{ctx.dtype}", loader)


def load_face_parser(ctx: RunContext) -> Any | None:
    """The BiSeNet face parser, or None when it is not installed (geometric mask instead)."""
    if not ctx.store.is_installed(PARSER_ID):
        return None

    path = ctx.store.model_dir(PARSER_ID) / "79999_iter.pth"

    def read() -> Any:
        import torch

        from studio.pipelines.lipsync.bisenet import bisenet_from_state_dict

        state = torch.load(path, map_location="cpu", weights_only=True)
        return bisenet_from_state_dict(state)

    def loader() -> Any:
        return load_or_damaged(PARSER_ID, read, ctx.store.catalogue).to(ctx.device)

    return ctx.model(f"{PARSER_ID}:{ctx.device}", loader)
