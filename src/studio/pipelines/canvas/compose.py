"""Crop a working window around a mask, and paste a result back only inside the mask.

Removal and fill share one rule: the model sees a window around the mask with some context,
at a working resolution, and only the (feathered) masked pixels of the photo change. Every
pixel where the blend weight is 0 is copied from the original, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.core.errors import BadInput
from studio.pipelines.canvas import masks as mask_ops


@dataclass(frozen=True)
class Window:
    """A crop box ``(x0, y0, x1, y1)`` (exclusive end) in image pixels."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def crop(self, arr: Any) -> Any:
        return arr[self.y0 : self.y1, self.x0 : self.x1]


def blend_alpha(mask: Any, feather_px: int) -> Any:
    """Blend weights (uint8) for pasting back: the mask grown by ``feather_px`` then softened,
    never below the mask itself, so every selected pixel is fully replaced."""
    import numpy as np

    hard = (np.asarray(mask) > 0).astype(np.uint8) * 255
    box = mask_ops.bounding_box(hard)
    if feather_px <= 0 or box is None:
        return hard
    # Grow + blur reach 2 * feather_px beyond the mask: work only on that part of a big photo
    # (the result is the same as on the whole image; zeros beyond the reach stay zeros).
    h, w = hard.shape
    reach = 2 * feather_px + 2
    x0, y0 = max(0, box[0] - reach), max(0, box[1] - reach)
    x1, y1 = min(w, box[2] + reach), min(h, box[3] + reach)
    part = hard[y0:y1, x0:x1]
    soft = mask_ops.feather(mask_ops.grow(part, feather_px), feather_px)
    out = np.zeros_like(hard)
    out[y0:y1, x0:x1] = np.maximum(soft, part)
    return out


def context_window(
    alpha: Any, margin: float = 0.5, min_margin: int = 64, multiple: int = 8
) -> Window:
    """A window around the non-zero ``alpha`` with ``margin`` x its size of context per side
    (at least ``min_margin`` px), clamped to the image and rounded out to ``multiple``."""
    h, w = alpha.shape[:2]
    box = mask_ops.bounding_box(alpha)
    if box is None:
        raise BadInput("The mask is empty: select or paint the area first.")
    x0, y0, x1, y1 = box
    mx = max(min_margin, int((x1 - x0) * margin))
    my = max(min_margin, int((y1 - y0) * margin))
    x0, y0, x1, y1 = max(0, x0 - mx), max(0, y0 - my), min(w, x1 + mx), min(h, y1 + my)

    # Round the size up to the model's multiple where the image leaves room.
    def _round(a: int, b: int, limit: int) -> tuple[int, int]:
        extra = (-(b - a)) % multiple
        b2 = min(limit, b + extra)
        a2 = max(0, a - (extra - (b2 - b)))
        return a2, b2

    x0, x1 = _round(x0, x1, w)
    y0, y1 = _round(y0, y1, h)
    return Window(x0, y0, x1, y1)


def working_size(width: int, height: int, max_side: int, multiple: int = 8) -> tuple[int, int]:
    """The size the model runs at: the window scaled down to ``max_side`` (never up)."""
    scale = min(1.0, max_side / max(width, height))
    ww = max(multiple, int(round(width * scale / multiple)) * multiple)
    wh = max(multiple, int(round(height * scale / multiple)) * multiple)
    return ww, wh


def paste_back(original: Any, patch: Any, window: Window, alpha: Any) -> Any:
    """``original`` with ``patch`` (the window's new pixels) blended in by ``alpha`` (0..255).

    Pixels whose weight is 0 are the original's exactly; weight 255 takes the patch exactly.
    """
    import numpy as np

    out = np.array(original, dtype=np.uint8, copy=True)
    region = window.crop(out)  # a view: writing it writes ``out``
    weights = window.crop(np.asarray(alpha))
    new = np.asarray(patch, dtype=np.uint8)
    if new.shape[:2] != region.shape[:2]:
        raise ValueError(f"patch {new.shape} does not match window {region.shape}")
    box = mask_ops.bounding_box(weights)
    if box is None:
        return out
    # Dense integer blend over the weights' bounding box only: boolean fancy indexing costs
    # ~30 ms per megapixel, this a few. (o*(255-a) + n*a + 127) // 255 is o at a=0, n at 255.
    ys, xs = slice(box[1], box[3]), slice(box[0], box[2])
    a = weights[ys, xs].astype(np.uint16)[:, :, None]
    o = region[ys, xs]
    mixed = o.astype(np.uint16) * (255 - a)
    mixed += new[ys, xs].astype(np.uint16) * a
    mixed += 127
    mixed //= 255
    np.copyto(o, mixed, casting="unsafe")
    return out  # weight 0: the original bytes, untouched


def resize(arr: Any, size: tuple[int, int], nearest: bool = False) -> Any:
    """Resize an ``HxW[xC]`` uint8 array to ``size`` (w, h) with OpenCV."""
    import cv2

    if (arr.shape[1], arr.shape[0]) == tuple(size):
        return arr
    shrinking = size[0] < arr.shape[1]
    interp = cv2.INTER_NEAREST if nearest else (cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    return cv2.resize(arr, size, interpolation=interp)
