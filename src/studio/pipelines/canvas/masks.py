"""Mask operations on uint8 ``HxW`` arrays (0 = keep, 255 = selected, between = soft edge)."""

from __future__ import annotations

from typing import Any

from studio.core.errors import BadInput


def _kernel(radius: int) -> Any:
    import cv2

    size = 2 * radius + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _check_radius(px: int) -> int:
    px = int(px)
    if px < 0:
        raise BadInput("The size must not be negative.")
    return px


def grow(mask: Any, px: int) -> Any:
    """Dilate the selection by ``px`` pixels (round brush)."""
    import cv2

    px = _check_radius(px)
    return mask.copy() if px == 0 else cv2.dilate(mask, _kernel(px))


def shrink(mask: Any, px: int) -> Any:
    """Erode the selection by ``px`` pixels."""
    import cv2

    px = _check_radius(px)
    return mask.copy() if px == 0 else cv2.erode(mask, _kernel(px))


def feather(mask: Any, px: int) -> Any:
    """Soften the edge over about ``px`` pixels on each side (Gaussian blur)."""
    import cv2

    px = _check_radius(px)
    if px == 0:
        return mask.copy()
    size = 2 * px + 1
    return cv2.GaussianBlur(mask, (size, size), sigmaX=px / 2.0, borderType=cv2.BORDER_REPLICATE)


def invert(mask: Any) -> Any:
    import numpy as np

    return (255 - np.asarray(mask, dtype=np.uint8)).astype(np.uint8)


def clear(mask: Any) -> Any:
    import numpy as np

    return np.zeros_like(np.asarray(mask, dtype=np.uint8))


def bounding_box(mask: Any) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` (exclusive end) of the non-zero pixels, or None when empty."""
    import numpy as np

    m = np.asarray(mask)
    rows = np.flatnonzero(m.any(axis=1))  # two 1-D scans: much cheaper than nonzero() on 12 MP
    if rows.size == 0:
        return None
    cols = np.flatnonzero(m.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def apply(mask: Any, op: str, px: int = 0) -> Any:
    """Apply a named op (grow, shrink, feather, invert, clear): the UI and CLI use names."""
    ops = {"grow": grow, "shrink": shrink, "feather": feather}
    if op in ops:
        return ops[op](mask, px)
    if op == "invert":
        return invert(mask)
    if op == "clear":
        return clear(mask)
    raise BadInput(f"Unknown mask operation '{op}'.")
