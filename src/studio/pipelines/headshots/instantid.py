"""InstantID, implemented in the project (no community pipeline is downloaded at run time).

Three parts, loaded from the published ``InstantX/InstantID`` files:

- :class:`Resampler` (``ip-adapter.bin`` -> ``image_proj.*``): a Perceiver that turns one
  ArcFace embedding (512) into 16 face tokens of the UNet's cross-attention width (2048).
- :class:`IdentityAttnProcessor` (``ip-adapter.bin`` -> ``ip_adapter.<n>.to_k_ip/to_v_ip``):
  decoupled cross-attention; the UNet attends to the text tokens and, separately, to the face
  tokens appended after them, and adds ``scale`` times the second result. ``<n>`` is the
  index of the processor in ``unet.attn_processors`` order (self-attention ones included, so
  SDXL's cross-attention layers are the odd numbers 1, 3, ..., 139).
- IdentityNet (``ControlNetModel/``): a ControlNet on an image of the five face keypoints,
  fed the face tokens as its ``encoder_hidden_states`` instead of the text.

torch is imported inside functions; the classes are built by :func:`build_classes` so that
importing this module stays cheap.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput
from studio.models.loading import load_or_damaged

MODEL_ID = "instantid"  # the catalogue entry the adapter and IdentityNet come from
NUM_TOKENS = 16
EMBEDDING_DIM = 512  # insightface ArcFace (antelopev2 glintr100)
IP_ADAPTER_FILE = "ip-adapter.bin"
CONTROLNET_DIR = "ControlNetModel"
# InstantID's keypoint colours: left eye, right eye, nose, left/right mouth corner.
KPS_COLORS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255))


@cache
def build_classes() -> dict[str, type]:
    """The torch classes (Resampler, IdentityAttnProcessor), defined on first use."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def feed_forward(dim: int, mult: int) -> nn.Sequential:
        inner = dim * mult
        # Index layout (0 norm, 1 in, 2 act, 3 out) matches the published keys.
        return nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, inner, bias=False),
            nn.GELU(),
            nn.Linear(inner, dim, bias=False),
        )

    class PerceiverAttention(nn.Module):
        def __init__(self, dim: int, dim_head: int, heads: int) -> None:
            super().__init__()
            self.heads, self.dim_head = heads, dim_head
            inner = dim_head * heads
            self.norm1 = nn.LayerNorm(dim)
            self.norm2 = nn.LayerNorm(dim)
            self.to_q = nn.Linear(dim, inner, bias=False)
            self.to_kv = nn.Linear(dim, inner * 2, bias=False)
            self.to_out = nn.Linear(inner, dim, bias=False)

        def forward(self, x: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
            x, latents = self.norm1(x), self.norm2(latents)
            b, n, _ = latents.shape
            q = self.to_q(latents)
            k, v = self.to_kv(torch.cat([x, latents], dim=1)).chunk(2, dim=-1)

            def heads(t: torch.Tensor) -> torch.Tensor:
                return t.view(b, -1, self.heads, self.dim_head).transpose(1, 2)

            # Softmax in fp32: the published weights were trained that way and fp16 overflows.
            scale = 1 / math.sqrt(math.sqrt(self.dim_head))
            weight = (heads(q) * scale) @ (heads(k) * scale).transpose(-2, -1)
            weight = torch.softmax(weight.float(), dim=-1).type(weight.dtype)
            out = (weight @ heads(v)).transpose(1, 2).reshape(b, n, -1)
            return self.to_out(out)

    class Resampler(nn.Module):
        """Face embedding (B, 1, 512) -> (B, num_queries, output_dim) tokens."""

        def __init__(
            self,
            dim: int = 1280,
            depth: int = 4,
            dim_head: int = 64,
            heads: int = 20,
            num_queries: int = NUM_TOKENS,
            embedding_dim: int = 512,
            output_dim: int = 2048,
            ff_mult: int = 4,
        ) -> None:
            super().__init__()
            self.latents = nn.Parameter(torch.randn(1, num_queries, dim) / dim**0.5)
            self.proj_in = nn.Linear(embedding_dim, dim)
            self.proj_out = nn.Linear(dim, output_dim)
            self.norm_out = nn.LayerNorm(output_dim)
            self.layers = nn.ModuleList(
                nn.ModuleList(
                    [PerceiverAttention(dim, dim_head, heads), feed_forward(dim, ff_mult)]
                )
                for _ in range(depth)
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            latents = self.latents.repeat(x.shape[0], 1, 1)
            x = self.proj_in(x)
            for layer in self.layers:
                attn, ff = layer[0], layer[1]  # type: ignore[index]
                latents = attn(x, latents) + latents
                latents = ff(latents) + latents
            return self.norm_out(self.proj_out(latents))

    class IdentityAttnProcessor(nn.Module):
        """Decoupled cross-attention: text tokens, plus ``scale`` x attention to face tokens."""

        def __init__(
            self,
            hidden_size: int,
            cross_attention_dim: int,
            num_tokens: int = NUM_TOKENS,
            scale: float = 0.8,
        ) -> None:
            super().__init__()
            self.num_tokens, self.scale = num_tokens, scale
            self.to_k_ip = nn.Linear(cross_attention_dim, hidden_size, bias=False)
            self.to_v_ip = nn.Linear(cross_attention_dim, hidden_size, bias=False)

        def __call__(
            self,
            attn: Any,
            hidden_states: torch.Tensor,
            encoder_hidden_states: torch.Tensor | None = None,
            attention_mask: torch.Tensor | None = None,
            temb: torch.Tensor | None = None,
            *args: Any,
            **kwargs: Any,
        ) -> torch.Tensor:
            residual = hidden_states
            if attn.spatial_norm is not None:
                hidden_states = attn.spatial_norm(hidden_states, temb)
            ndim = hidden_states.ndim
            if ndim == 4:
                b, c, h, w = hidden_states.shape
                hidden_states = hidden_states.view(b, c, h * w).transpose(1, 2)
            if attn.group_norm is not None:
                hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
            batch = hidden_states.shape[0]
            query = attn.to_q(hidden_states)
            face = None
            if encoder_hidden_states is None:
                context = hidden_states
            else:
                end = encoder_hidden_states.shape[1] - self.num_tokens
                context, face = encoder_hidden_states[:, :end], encoder_hidden_states[:, end:]
                if attn.norm_cross:
                    context = attn.norm_encoder_hidden_states(context)
            head_dim = query.shape[-1] // attn.heads

            def split(t: torch.Tensor) -> torch.Tensor:
                return t.view(batch, -1, attn.heads, head_dim).transpose(1, 2)

            q = split(query)
            out = F.scaled_dot_product_attention(
                q, split(attn.to_k(context)), split(attn.to_v(context))
            )
            if face is not None and self.scale != 0:
                face_out = F.scaled_dot_product_attention(
                    q, split(self.to_k_ip(face)), split(self.to_v_ip(face))
                )
                out = out + self.scale * face_out
            out = out.transpose(1, 2).reshape(batch, -1, attn.heads * head_dim).to(query.dtype)
            out = attn.to_out[1](attn.to_out[0](out))
            if ndim == 4:
                out = out.transpose(-1, -2).reshape(b, c, h, w)
            if attn.residual_connection:
                out = out + residual
            return out / attn.rescale_output_factor

    return {"Resampler": Resampler, "IdentityAttnProcessor": IdentityAttnProcessor}


def split_ip_adapter(state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(image_proj, ip_adapter)`` from ``ip-adapter.bin`` (nested, or flat with prefixes)."""
    if "image_proj" in state and "ip_adapter" in state:
        return dict(state["image_proj"]), dict(state["ip_adapter"])
    proj = {k[len("image_proj.") :]: v for k, v in state.items() if k.startswith("image_proj.")}
    ip = {k[len("ip_adapter.") :]: v for k, v in state.items() if k.startswith("ip_adapter.")}
    if not proj or not ip:
        raise BadInput(
            "The InstantID adapter file has an unexpected layout (no image_proj / ip_adapter "
            "weights). Download the InstantID model again."
        )
    return proj, ip


def resampler_from_state(proj: dict[str, Any]) -> Any:
    """A :class:`Resampler` sized from its state dict (published: 1280 wide, depth 4)."""
    latents = proj["latents"]
    dim, queries = int(latents.shape[2]), int(latents.shape[1])
    depth = len({k.split(".")[1] for k in proj if k.startswith("layers.")})
    inner_ff = int(proj["layers.0.1.1.weight"].shape[0])
    dim_head = 64 if dim % 64 == 0 else dim
    if int(proj["proj_in.weight"].shape[1]) != EMBEDDING_DIM:
        raise BadInput(
            "The InstantID adapter does not take ArcFace (512) face embeddings; "
            "download InstantID again."
        )
    model = build_classes()["Resampler"](
        dim=dim,
        depth=depth,
        dim_head=dim_head,
        heads=dim // dim_head,
        num_queries=queries,
        embedding_dim=int(proj["proj_in.weight"].shape[1]),
        output_dim=int(proj["proj_out.weight"].shape[0]),
        ff_mult=inner_ff // dim,
    )
    _load_strict(model, proj, "image projection")
    return model


def _load_strict(module: Any, state: dict[str, Any], what: str) -> None:
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise BadInput(
            f"The InstantID {what} weights do not fit this model. Download InstantID again.",
            str(exc)[:2000],
        ) from exc


def install_identity_processors(unet: Any, ip_state: dict[str, Any], scale: float = 0.8) -> int:
    """Replace the UNet's cross-attention processors with InstantID's; returns how many."""
    cls = build_classes()["IdentityAttnProcessor"]
    modules = dict(unet.named_modules())
    processors: dict[str, Any] = {}
    installed = 0
    for index, (name, current) in enumerate(unet.attn_processors.items()):
        if name.endswith("attn1.processor"):
            processors[name] = current
            continue
        attn = modules[name[: -len(".processor")]]
        proc = cls(attn.to_k.out_features, attn.to_k.in_features, NUM_TOKENS, scale)
        sub = {k.split(".", 1)[1]: v for k, v in ip_state.items() if k.split(".")[0] == str(index)}
        _load_strict(proc, sub, f"attention layer {index}")
        processors[name] = proc
        installed += 1
    expected = len({k.split(".")[0] for k in ip_state})
    if installed != expected:
        raise BadInput(
            f"The InstantID adapter has {expected} attention layers but the base model has "
            f"{installed}: it does not belong to this (SDXL) model."
        )
    unet.set_attn_processor(processors)
    return installed


def set_identity_scale(unet: Any, scale: float) -> None:
    """Change how strongly the face tokens steer the UNet (0 disables them)."""
    cls = build_classes()["IdentityAttnProcessor"]
    for proc in unet.attn_processors.values():
        if isinstance(proc, cls):
            proc.scale = scale  # type: ignore[attr-defined]


def load_ip_adapter_file(path: Path, model_id: str = MODEL_ID) -> dict[str, Any]:
    """``ip-adapter.bin`` read safely (``weights_only=True``); ModelDamaged if damaged."""
    import torch

    # pickle, zip and unpickler errors all mean a bad file
    return load_or_damaged(
        model_id, lambda: torch.load(path, map_location="cpu", weights_only=True)
    )


def load_controlnet(folder: Path, device: str, dtype: Any, model_id: str = MODEL_ID) -> Any:
    """IdentityNet: ``ControlNetModel/`` of the installed InstantID folder; ModelDamaged if
    its files cannot be read."""
    from diffusers import ControlNetModel

    net = load_or_damaged(
        model_id,
        lambda: ControlNetModel.from_pretrained(
            Path(folder) / CONTROLNET_DIR, torch_dtype=dtype, local_files_only=True
        ),
    )
    return net.to(device).eval()


def apply_instantid(unet: Any, folder: Path, device: str, dtype: Any, scale: float = 0.8) -> Any:
    """Patch ``unet`` with the identity processors; return the loaded :class:`Resampler`."""
    proj, ip = split_ip_adapter(load_ip_adapter_file(Path(folder) / IP_ADAPTER_FILE))
    resampler = resampler_from_state(proj)
    install_identity_processors(unet, ip, scale)
    unet.to(device=device, dtype=dtype)
    return resampler.to(device=device, dtype=dtype).eval()


def face_tokens(resampler: Any, embedding: np.ndarray, batch: int, guided: bool) -> Any:
    """Tokens for ``batch`` images; with guidance, zeros-embedding tokens come first."""
    import torch

    param = next(resampler.parameters())
    emb = torch.as_tensor(np.asarray(embedding, dtype=np.float32)).reshape(1, 1, -1)
    emb = emb.to(device=param.device, dtype=param.dtype).repeat(batch, 1, 1)
    if guided:
        emb = torch.cat([torch.zeros_like(emb), emb])
    with torch.no_grad():
        return resampler(emb)


def draw_keypoints(size: tuple[int, int], kps: np.ndarray, radius: int | None = None) -> Any:
    """The IdentityNet condition: coloured sticks nose-to-landmark and a dot per keypoint."""
    import cv2
    from PIL import Image

    w, h = size
    radius = radius or max(2, round(min(w, h) / 100))
    canvas = np.zeros((h, w, 3), dtype=np.uint8)
    kps = np.asarray(kps, dtype=np.float32)
    for i in (0, 1, 3, 4):
        a, b = kps[i], kps[2]
        length = float(np.hypot(*(a - b)))
        angle = math.degrees(math.atan2(a[1] - b[1], a[0] - b[0]))
        poly = cv2.ellipse2Poly(
            tuple(int(v) for v in (a + b) / 2),
            (int(length / 2), max(1, radius // 2)),
            int(angle),
            0,
            360,
            1,
        )
        cv2.fillConvexPoly(canvas, np.asarray(poly, dtype=np.int32), KPS_COLORS[i])
    canvas = (canvas * 0.6).astype(np.uint8)  # sticks dimmer than the points, as published
    for i, (x, y) in enumerate(kps):
        cv2.circle(canvas, (int(x), int(y)), radius, KPS_COLORS[i], -1)
    return Image.fromarray(canvas)


def place_keypoints(
    kps: np.ndarray,
    bbox: np.ndarray,
    size: tuple[int, int],
    face_width: float = 0.34,
    centre: tuple[float, float] = (0.5, 0.42),
    jitter: np.ndarray | None = None,
) -> np.ndarray:
    """Move a selfie's keypoints to a headshot framing: face box ``face_width`` of the width,
    centred at ``centre`` (fractions); ``jitter`` (dx, dy, dscale) varies the pose slightly."""
    w, h = size
    dx, dy, ds = (0.0, 0.0, 0.0) if jitter is None else tuple(float(v) for v in jitter)
    box_w = float(bbox[2] - bbox[0]) or 1.0
    scale = face_width * w * (1 + ds) / box_w
    src_c = np.array([(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2], dtype=np.float32)
    dst_c = np.array([(centre[0] + dx) * w, (centre[1] + dy) * h], dtype=np.float32)
    return (np.asarray(kps, dtype=np.float32) - src_c) * scale + dst_c
