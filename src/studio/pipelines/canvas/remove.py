"""Object removal with LaMa (big-lama weights, loaded by spandrel).

A window around the mask (with context) is inpainted at a working resolution and only the
feathered masked region is pasted back: every other pixel stays exactly as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from studio.core.imageio import check_mask, to_array
from studio.pipelines.canvas import compose
from studio.pipelines.canvas.masks import check_blend, check_side
from studio.pipelines.canvas.spandrel_models import load_spandrel, to_tensor, to_uint8
from studio.pipelines.context import RunContext

log = logging.getLogger(__name__)

LAMA_ID = "lama-big"
LAMA_FILE = "big-lama.pt"


@dataclass
class RemoveRequest:
    image: Any  # PIL image or HxWx3 uint8 array
    mask: Any  # HxW, non-zero = remove
    feather_px: int = 8
    margin: float = 0.5  # context around the mask, as a fraction of its size per side
    max_side: int = 1024  # working resolution of the window's longer side
    model: str = LAMA_ID


@dataclass
class RemoveResult:
    image: Any  # HxWx3 uint8
    window: compose.Window
    alpha: Any  # HxW uint8 blend weights used for pasting back


def run(request: RemoveRequest, ctx: RunContext) -> RemoveResult:
    """Erase the masked object; pixels where ``alpha`` is 0 are unchanged bit for bit."""
    import torch

    check_blend(request.feather_px, request.margin)
    check_side(request.max_side, "working size")
    arr = to_array(request.image)
    h, w = arr.shape[:2]
    mask = check_mask(request.mask, (w, h))
    alpha = compose.blend_alpha(mask, request.feather_px)
    window = compose.context_window(alpha, request.margin)
    desc = load_spandrel(ctx, request.model, LAMA_FILE, "LaMa")
    ctx.check()
    max_side = min(request.max_side, 768) if ctx.low_memory else request.max_side
    size = compose.working_size(window.width, window.height, max_side)
    crop = compose.resize(window.crop(arr), size)
    hole = compose.resize((window.crop(alpha) > 0).astype("uint8") * 255, size, nearest=True)
    ctx.progress("Removing", 0, 1)
    with torch.inference_mode():
        image_t = to_tensor(crop, ctx.device, torch.float32)
        mask_t = (to_tensor(hole, ctx.device, torch.float32) > 0.5).float()
        out = to_uint8(inpaint(desc, image_t, mask_t, mixed=_mixed_ok(ctx)))
    ctx.check()
    patch = compose.resize(out, (window.width, window.height))
    result = compose.paste_back(arr, patch, window, alpha)
    ctx.progress("Removing", 1, 1)
    return RemoveResult(image=result, window=window, alpha=alpha)


def _mixed_ok(ctx: RunContext) -> bool:
    """bf16 spatial layers where the GPU computes bf16 natively (Ampere and later)."""
    from studio.core.device import experimental_enabled

    if not ctx.is_cuda or not experimental_enabled("lama-bf16"):
        return False  # bf16 convolutions on a CPU are slower than fp32
    import torch

    return bool(torch.cuda.is_bf16_supported())


def inpaint(desc: Any, image: Any, mask: Any, mixed: bool) -> Any:
    """LaMa on ``1x3xHxW`` / ``1x1xHxW`` tensors in [0, 1]; returns fp32.

    ``mixed``: the spatial convolutions in bf16 while every Fourier unit (FFT, spectral conv,
    inverse FFT) stays fp32 (spandrel's LaMa does not support fp16; measured within about
    one level of 255 of the fp32 model). Any failure of the mixed form falls back to fp32;
    ``desc.studio_path`` records which ran. Pixels outside the mask are the input's either
    way (LaMa composites them back itself, and :func:`run` pastes only the masked region).
    """
    import torch

    from studio.core.device import is_oom
    from studio.pipelines.canvas.speedups import lama_autocast, lama_fft_in_fp32

    if mixed:
        try:
            lama_fft_in_fp32(desc.model)
            with torch.inference_mode(), lama_autocast(image.device.type, True):
                out = desc(image, mask).float()
            desc.studio_path = "bf16 spatial + fp32 FFT"
            return out
        except Exception as exc:  # noqa: BLE001 - fp32 below computes the same result
            if is_oom(exc):
                raise  # the plan runner retries with less memory
            log.warning("LaMa bf16 path failed, running fp32: %r", exc)
    with torch.inference_mode():
        out = desc(image, mask).float()
    desc.studio_path = "fp32"
    return out
