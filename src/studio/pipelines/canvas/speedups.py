"""Faster forms of the canvas models that compute the same function (tolerances in tests).

- :func:`sam_fused_attention`: SAM's image-encoder attention through
  ``F.scaled_dot_product_attention`` with the decomposed relative positions as its additive
  mask (the fused kernels never write the full attention matrix; ViT-H's global blocks
  would otherwise write 16 x 4096 x 4096 scores per block).
- :func:`lama_fft_in_fp32` + :func:`lama_autocast`: LaMa's spatial convolutions in bf16 while
  every Fourier unit (FFT, spectral 1x1 conv, inverse FFT) stays in fp32, where cuFFT needs it.
- :func:`channels_last`: NHWC weights (cuDNN's native fp16 convolution layout).

Each is applied once per warm model (marked on the module) and is a no-op when repeated.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

log = logging.getLogger(__name__)


def _sdpa_attention_forward(attn: Any, on_failure: Any) -> Any:
    """``segment_anything``'s ``Attention.forward`` with one fused attention call; on any
    error (but running out of memory) the module's own forward takes over for good."""
    import weakref

    import torch
    import torch.nn.functional as F
    from segment_anything.modeling.image_encoder import get_rel_pos

    from studio.core.device import is_oom

    ref = weakref.ref(attn)  # no cycle through the module's __dict__

    def forward(x: Any) -> Any:
        try:
            return fused(ref(), x)
        except Exception as exc:
            if is_oom(exc):
                raise
            log.warning("SAM fused attention failed, using the original: %r", exc)
            module: Any = ref()
            module.__dict__.pop("forward", None)
            on_failure(exc)
            return module.forward(x)

    def fused(attn: Any, x: Any) -> Any:
        b, h, w, _ = x.shape
        heads = attn.num_heads
        qkv = attn.qkv(x).reshape(b, h * w, 3, heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each (B, heads, HW, C)
        bias = None
        if attn.use_rel_pos:
            dim = q.shape[-1]
            r_q = q.reshape(b * heads, h, w, dim)  # the unscaled query, as the original uses
            rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, get_rel_pos(h, h, attn.rel_pos_h))
            rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, get_rel_pos(w, w, attn.rel_pos_w))
            bias = (rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]).reshape(
                b, heads, h * w, h * w
            )
            bias = bias.to(q.dtype)
        # SDPA's default scale is head_dim ** -0.5, the module's own ``scale``.
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        # (the fused kernels may return a permuted layout: reshape, not view)
        out = out.reshape(b, heads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1)
        return attn.proj(out)

    return forward


def sam_fused_attention(sam: Any) -> bool:
    """Route every image-encoder attention of ``sam`` through SDPA; True when applied."""
    import weakref

    if getattr(sam, "_studio_sdpa", False):
        return True
    sam_ref = weakref.ref(sam)

    def failed(exc: Exception) -> None:
        model: Any = sam_ref()
        if model is not None:
            model._studio_sdpa = False  # what the benchmark reports as the path

    try:
        from segment_anything.modeling.image_encoder import Attention

        for module in sam.image_encoder.modules():
            if isinstance(module, Attention):
                module.forward = _sdpa_attention_forward(module, failed)
    except Exception as exc:  # noqa: BLE001 - an optional speed-up: the original still works
        log.warning("SAM fused attention not applied: %r", exc)
        return False
    sam._studio_sdpa = True
    return True


def _fp32_fourier(forward: Any) -> Any:
    import torch

    def run(x: Any) -> Any:
        with torch.autocast(x.device.type, enabled=False):
            return forward(x.float())

    return run


def lama_fft_in_fp32(model: Any) -> int:
    """Make each LaMa ``FourierUnit`` compute in fp32 whatever autocast says around it.

    Returns how many units were wrapped. Without autocast the inputs are fp32 already, so
    the model computes exactly what it did before.
    """
    if getattr(model, "_studio_fft_fp32", None) is not None:
        return model._studio_fft_fp32
    count = 0
    for module in model.modules():
        if type(module).__name__ == "FourierUnit":
            module.forward = _fp32_fourier(module.forward)
            count += 1
    model._studio_fft_fp32 = count
    return count


def lama_autocast(device_type: str, enabled: bool) -> Any:
    """bf16 autocast for LaMa's spatial layers (use after :func:`lama_fft_in_fp32`)."""
    import torch

    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type, dtype=torch.bfloat16)


def channels_last(model: Any) -> bool:
    """NHWC weights for a convolutional model (same arithmetic, cuDNN's faster layout)."""
    import torch

    if getattr(model, "_studio_nhwc", False):
        return True
    try:
        model.to(memory_format=torch.channels_last)
    except Exception as exc:  # noqa: BLE001 - an optional speed-up
        log.warning("channels-last not applied: %r", exc)
        return False
    model._studio_nhwc = True
    return True
