"""x4 upscaling with Real-ESRGAN x4plus (RRDBNet, loaded by spandrel), tiled with overlap.

Tiles overlap so the seams fall where both neighbours had context; each output tile keeps
only its centre part (minus half the overlap), so any image size fits in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.core.errors import BadInput
from studio.core.imageio import MAX_PIXELS, to_array
from studio.pipelines.canvas import compose
from studio.pipelines.canvas.spandrel_models import load_spandrel, to_tensor, to_uint8
from studio.pipelines.context import RunContext

ESRGAN_ID = "realesrgan-x4plus"
ESRGAN_FILE = "RealESRGAN_x4plus.pth"


@dataclass
class UpscaleRequest:
    image: Any
    tile: int = 512  # input pixels per tile side (0 = whole image at once)
    overlap: int = 16
    model: str = ESRGAN_ID


@dataclass
class UpscaleResult:
    image: Any  # (4H)x(4W)x3 uint8, or x4 (RGBA) when the input had transparency
    scale: int


def tiles(length: int, tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Per tile along one axis: (read_start, read_end, keep_start, keep_end) in input pixels.

    Read ranges overlap by ``overlap`` on each inner side; keep ranges partition ``length``.
    """
    if tile <= 0 or tile >= length:
        return [(0, length, 0, length)]
    out = []
    start = 0
    while start < length:
        end = min(length, start + tile)
        out.append((max(0, start - overlap), min(length, end + overlap), start, end))
        start = end
    return out


def run(request: UpscaleRequest, ctx: RunContext) -> UpscaleResult:
    """Upscale ``request.image`` by the model's scale (4 for x4plus)."""
    import numpy as np
    import torch

    _check(request)
    arr = to_array(request.image)
    alpha = _alpha(request.image)  # a cut-out keeps its transparency
    h, w = arr.shape[:2]
    desc = load_spandrel(ctx, request.model, ESRGAN_FILE, "ESRGAN")
    s = int(desc.scale)
    if h * w * s * s > MAX_PIXELS:
        raise BadInput(
            f"Upscaling {w}x{h} by {s} would give {w * s}x{h * s}, more than Studio can hold; "
            "crop or scale the image down first."
        )
    tile = effective_tile(request.tile, ctx, half=desc.supports_half)
    dtype = ctx.dtype if desc.supports_half else torch.float32
    if ctx.is_cuda:
        from studio.pipelines.canvas.speedups import channels_last

        channels_last(desc.model)  # cuDNN's native fp16 layout; outputs are the same
    ys, xs = tiles(h, tile, request.overlap), tiles(w, tile, request.overlap)
    out = np.empty((h * s, w * s, 3), dtype=np.uint8)  # (with one tile: never written)
    total, done = len(ys) * len(xs), 0
    ctx.progress("Upscaling", 0, total)
    for ry0, ry1, ky0, ky1 in ys:
        for rx0, rx1, kx0, kx1 in xs:
            ctx.check()
            with torch.inference_mode():
                res = to_uint8(desc(to_tensor(arr[ry0:ry1, rx0:rx1], ctx.device, dtype)))
            oy, ox = (ky0 - ry0) * s, (kx0 - rx0) * s
            if total == 1 and res.shape == out.shape:  # one tile: no 50 MB copy at 4096^2
                out = np.ascontiguousarray(res)
            else:
                out[ky0 * s : ky1 * s, kx0 * s : kx1 * s] = res[
                    oy : oy + (ky1 - ky0) * s, ox : ox + (kx1 - kx0) * s
                ]
            done += 1
            ctx.progress("Upscaling", done, total)
    if alpha is not None:  # the model sees colour only; the mask is resized smoothly
        out = np.dstack([out, compose.resize(alpha, (w * s, h * s))])
    return UpscaleResult(image=out, scale=s)


# On a GPU in fp16, tiles below this input side only add seams and per-tile overhead:
# a 1024^2 input (4096^2 output) runs whole in about 3 GB of activations.
GPU_MIN_TILE = 1024


def effective_tile(tile: int, ctx: RunContext, half: bool) -> int:
    """The tile side used: halved in low-memory mode; on CUDA in fp16 at least
    :data:`GPU_MIN_TILE` (fewer, larger tiles), unless the memory plan asks to tile or the
    caller chose small tiles (below 512: a memory choice, e.g. the headshot pack's)."""
    if not tile:
        return 0
    if ctx.low_memory:
        return max(64, tile // 2)
    if ctx.is_cuda and half and tile >= 512 and not _plan_tiles(ctx):
        return max(tile, GPU_MIN_TILE)
    return tile


def _plan_tiles(ctx: RunContext) -> bool:
    """Whether this card's memory plan tiles the upscaler (small cards)."""
    try:
        from studio.pipelines.memory_plan import plan_for

        return bool(getattr(plan_for(ctx, "canvas.upscale"), "tiled_upscale", False))
    except Exception:  # noqa: BLE001 - no plan for this job kind: keep the request's tile
        return True


def _check(request: UpscaleRequest) -> None:
    tile, overlap = request.tile, request.overlap
    if isinstance(tile, bool) or not isinstance(tile, int) or not (tile == 0 or 16 <= tile <= 4096):
        raise BadInput(
            f"The tile size must be 0 (whole image) or 16 to 4096 pixels (got {tile!r})."
        )
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap <= 256:
        raise BadInput(f"The tile overlap must be 0 to 256 pixels (got {overlap!r}).")


def _alpha(image: Any) -> Any:
    """The alpha channel of an RGBA array or PIL image, or None (opaque images)."""
    import numpy as np

    if hasattr(image, "mode"):
        return np.array(image.getchannel("A")) if image.mode in ("RGBA", "LA") else None
    arr = np.asarray(image)
    return np.ascontiguousarray(arr[:, :, 3]) if arr.ndim == 3 and arr.shape[2] == 4 else None
