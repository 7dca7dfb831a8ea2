"""Build models in their published on-disk layout and install them into a model store.

``install(ctx, size, *model_ids)`` writes each model (``size`` ``"real"``: published shapes with
random weights; ``"tiny"``: the ``--smoke`` shapes from :mod:`scripts.bench.configs`) into the
store's staging folder and commits it like a download, so the production loaders read them
unchanged. Random init runs on ``ctx.device`` (seconds on a GPU instead of minutes on a CPU).

Face models are the tests' tiny ONNX stand-ins in both sizes (``tests/fixtures``): random
detector weights find no face, the stand-ins always find one, and the real ones are small
ONNX graphs that run on the CPU. The same goes for rembg's U2-Net (``rembg-u2net``): its
cutout number is rembg's pre- and post-processing around a stand-in graph.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.bench import configs as cfg

Builder = Callable[[Path, str, Any], None]


def install(ctx: Any, size: str, *model_ids: str, using: dict[str, Builder] | None = None) -> None:
    """Build and commit each model (skipped when already installed); ``using`` replaces
    the builder of some ids (Lipsync's face detector stand-in)."""
    import torch

    builders = {**BUILDERS, **(using or {})}
    for model_id in model_ids:
        if ctx.store.is_installed(model_id):
            continue
        staged = ctx.store.staging_dir(model_id)
        torch.manual_seed(0)
        with torch.device(ctx.device):
            builders[model_id](staged, size, ctx)
        # No hashes: hashing gigabytes of random weights would only slow the benchmark.
        ctx.store.commit(model_id, staged, {})


def _tokenizer(folder: Path) -> int:
    """A CLIP tokenizer folder (letters + specials): prompts tokenize as in the app.
    Returns the end-of-text id (the text encoders pool at it)."""
    folder.mkdir(parents=True, exist_ok=True)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = {t: i for i, t in enumerate(letters + [c + "</w>" for c in letters])}
    for special in ("<|startoftext|>", "<|endoftext|>", "!"):
        vocab[special] = len(vocab)
    special = {
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "!",
    }
    files = {
        "vocab.json": vocab,
        "special_tokens_map.json": special,
        "tokenizer_config.json": {
            "model_max_length": 77,
            "tokenizer_class": "CLIPTokenizer",
            **special,
        },
    }
    for name, data in files.items():
        (folder / name).write_text(json.dumps(data), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return vocab["<|endoftext|>"]


def _text_encoder(cls: Any, shape: dict[str, Any], eos: int) -> Any:
    from transformers import CLIPTextConfig

    config = CLIPTextConfig(
        vocab_size=49408,
        max_position_embeddings=77,
        bos_token_id=eos - 1,
        eos_token_id=eos,
        pad_token_id=eos,
        **shape,
    )
    return cls(config)


def _scheduler(**extra: Any) -> Any:
    from diffusers import EulerDiscreteScheduler

    return EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1, **extra
    )


def _save_pipeline(pipe: Any, folder: Path) -> None:
    """fp16 variant files, as the published repos ship them."""
    import torch

    pipe.to(torch.float16).save_pretrained(folder, safe_serialization=True, variant="fp16")


def build_sdxl(folder: Path, size: str, ctx: Any, inpaint: bool = False) -> None:
    """SDXL (RealVisXL's layout, or the 9-channel inpainting model)."""
    from diffusers import (
        AutoencoderKL,
        StableDiffusionXLInpaintPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    eos = _tokenizer(folder / "tokenizer")
    _tokenizer(folder / "tokenizer_2")
    shape1, shape2 = cfg.SDXL_TEXT[size]
    parts = dict(
        vae=AutoencoderKL(**cfg.KL_VAE[size], scaling_factor=0.13025, force_upcast=True),
        text_encoder=_text_encoder(CLIPTextModel, shape1, eos),
        text_encoder_2=_text_encoder(CLIPTextModelWithProjection, shape2, eos),
        tokenizer=CLIPTokenizer.from_pretrained(folder / "tokenizer"),
        tokenizer_2=CLIPTokenizer.from_pretrained(folder / "tokenizer_2"),
        unet=UNet2DConditionModel(**dict(cfg.SDXL_UNET[size], in_channels=9 if inpaint else 4)),
        scheduler=_scheduler(timestep_spacing="trailing"),
    )
    if inpaint:
        pipe = StableDiffusionXLInpaintPipeline(**parts, requires_aesthetics_score=False)
    else:
        pipe = StableDiffusionXLPipeline(**parts)
    _save_pipeline(pipe, folder)


def build_sd_turbo(folder: Path, size: str, ctx: Any) -> None:
    from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    eos = _tokenizer(folder / "tokenizer")
    pipe = StableDiffusionPipeline(
        vae=AutoencoderKL(**cfg.KL_VAE[size], scaling_factor=0.18215),
        text_encoder=_text_encoder(CLIPTextModel, cfg.SD21_TEXT[size], eos),
        tokenizer=CLIPTokenizer.from_pretrained(folder / "tokenizer"),
        unet=UNet2DConditionModel(**cfg.SD21_UNET[size]),
        scheduler=_scheduler(timestep_spacing="trailing"),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    _save_pipeline(pipe, folder)


def build_taesd(folder: Path, size: str, ctx: Any) -> None:
    from diffusers import AutoencoderTiny

    AutoencoderTiny(**cfg.TAESD[size]).save_pretrained(folder, safe_serialization=True)


def build_vae_fp16_fix(folder: Path, size: str, ctx: Any) -> None:
    """madebyollin/sdxl-vae-fp16-fix: SDXL's VAE shape, safe to decode in fp16."""
    from diffusers import AutoencoderKL

    vae = AutoencoderKL(**cfg.KL_VAE[size], scaling_factor=0.13025, force_upcast=False)
    vae.save_pretrained(folder, safe_serialization=True)


def build_sd_vae(folder: Path, size: str, ctx: Any) -> None:
    """stabilityai/sd-vae-ft-mse (MuseTalk's VAE)."""
    from diffusers import AutoencoderKL

    AutoencoderKL(**cfg.KL_VAE[size], scaling_factor=0.18215).save_pretrained(
        folder, safe_serialization=True
    )


def build_lcm_lora(folder: Path, size: str, ctx: Any) -> None:
    """LCM-LoRA for the installed inpainting UNet (kohya keys; the app fuses it, so its rank
    does not change the timing)."""
    import torch
    from tests.fixtures.diffusion import build_tiny_lcm_lora_sdxl

    install(ctx, size, "sdxl-inpaint")
    with torch.device("cpu"):
        build_tiny_lcm_lora_sdxl(folder, ctx.store.require("sdxl-inpaint"))


def build_instantid(folder: Path, size: str, ctx: Any) -> None:
    """InstantX/InstantID: ``ControlNetModel/`` (IdentityNet, from the base UNet's shape) and
    ``ip-adapter.bin`` (Resampler + identity attention weights) in the published layout."""
    import torch
    from diffusers import ControlNetModel, UNet2DConditionModel
    from tests.fixtures.face_models import instantid_state_dict

    unet = UNet2DConditionModel(**cfg.SDXL_UNET[size])
    controlnet = ControlNetModel.from_unet(unet, **cfg.CONTROLNET[size])
    for p in controlnet.parameters():  # from_unet zero-inits the outputs: make them do work
        p.data.add_(torch.randn_like(p) * 0.02)
    controlnet.to(torch.float16).save_pretrained(folder / "ControlNetModel")
    state = instantid_state_dict(unet, **cfg.RESAMPLER[size])
    torch.save(_to_cpu(state), folder / "ip-adapter.bin")


def _to_cpu(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    return value.cpu() if hasattr(value, "cpu") else value


def build_rrdbnet(folder: Path, size: str, ctx: Any) -> None:
    """Real-ESRGAN x4plus (``params_ema`` with basicsr RRDBNet keys)."""
    import torch
    from tests.fixtures.canvas_models import build_tiny_rrdbnet

    nf, gc, blocks = cfg.RRDB[size]
    with torch.device("cpu"):
        build_tiny_rrdbnet(folder, nf=nf, gc=gc, blocks=blocks)


def build_sam(filename: str, registry_name: str) -> Builder:
    def build(folder: Path, size: str, ctx: Any) -> None:
        import torch

        if size == "tiny":
            from tests.fixtures.canvas_models import build_tiny_sam

            with torch.device("cpu"):
                build_tiny_sam(folder, filename)
            return
        from segment_anything import sam_model_registry

        torch.save(_to_cpu(sam_model_registry[registry_name]().state_dict()), folder / filename)

    return build


def build_lama(folder: Path, size: str, ctx: Any) -> None:
    """big-lama.pt (TorchScript, ``generator.model.*`` keys): full size in both sizes (the
    loader only knows the published shape)."""
    import torch
    from tests.fixtures.canvas_models import build_big_lama

    with torch.device("cpu"):
        build_big_lama(folder)


def build_musetalk(folder: Path, size: str, ctx: Any) -> None:
    """``musetalkV15/musetalk.json`` + ``unet.pth`` (a state dict)."""
    import torch
    from diffusers import UNet2DConditionModel

    config = {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.MUSETALK_UNET[size].items()}
    unet = UNet2DConditionModel(**config)
    sub = folder / "musetalkV15"
    sub.mkdir(parents=True, exist_ok=True)
    config = {"_class_name": "UNet2DConditionModel", **config}
    (sub / "musetalk.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    torch.save(_to_cpu(unet.state_dict()), sub / "unet.pth")


def build_whisper(folder: Path, size: str, ctx: Any) -> None:
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    config = WhisperConfig(
        vocab_size=51865,
        num_mel_bins=80,
        d_model=384,
        encoder_layers=4,
        encoder_attention_heads=6,
        decoder_attention_heads=6,
        max_source_positions=1500,
        max_target_positions=448,
        **cfg.WHISPER[size],
    )
    WhisperModel(config).save_pretrained(folder, safe_serialization=True)
    WhisperFeatureExtractor(feature_size=80).save_pretrained(folder)


def build_bisenet(folder: Path, size: str, ctx: Any) -> None:
    import torch

    from studio.pipelines.lipsync.bisenet import BiSeNet

    net = BiSeNet(19, base=cfg.BISENET_BASE[size])
    torch.save(_to_cpu(net.state_dict()), folder / "79999_iter.pth")


def _on_cpu(build: Callable[[Path], Any]) -> Builder:
    """A tests/fixtures stand-in builder (ONNX export runs on the CPU)."""

    def run(folder: Path, size: str, ctx: Any) -> None:
        import torch

        with torch.device("cpu"):
            build(folder)

    return run


def _face_standin(folder: Path, size: str, ctx: Any) -> None:
    from tests.fixtures.face_models import build_tiny_antelopev2

    _on_cpu(build_tiny_antelopev2)(folder, size, ctx)


def _disc_detector(folder: Path, size: str, ctx: Any) -> None:
    from tests.fixtures.lipsync_models import build_detector

    _on_cpu(build_detector)(folder, size, ctx)


def _u2net_standin(folder: Path, size: str, ctx: Any) -> None:
    from tests.fixtures.canvas_models import build_tiny_u2net_onnx

    _on_cpu(build_tiny_u2net_onnx)(folder, size, ctx)


BUILDERS: dict[str, Builder] = {
    "sam-vit-b": build_sam("sam_vit_b_01ec64.pth", "vit_b"),
    "sam-vit-h": build_sam("sam_vit_h_4b8939.pth", "vit_h"),
    "lama-big": build_lama,
    "realesrgan-x4plus": build_rrdbnet,
    "rembg-u2net": _u2net_standin,
    "sdxl-inpaint": lambda f, s, c: build_sdxl(f, s, c, inpaint=True),
    "lcm-lora-sdxl": build_lcm_lora,
    "sdxl-vae-fp16-fix": build_vae_fp16_fix,
    "realvisxl-v4-lightning": build_sdxl,
    "instantid": build_instantid,
    "antelopev2": _face_standin,
    "taesdxl": build_taesd,
    "sd-turbo": build_sd_turbo,
    "taesd": build_taesd,
    "musetalk-v15": build_musetalk,
    "sd-vae-ft-mse": build_sd_vae,
    "whisper-tiny": build_whisper,
    "face-parse-bisenet": build_bisenet,
}
# Lipsync's detector stand-in finds the synthetic avatar's face disc (see lipsync.py).
LIPSYNC_DETECTOR = _disc_detector
