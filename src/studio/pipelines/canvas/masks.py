"""Mask operations on uint8 ``HxW`` arrays (0 = keep, 255 = selected, between = soft edge)."""

from __future__ import annotations

from typing import Any

from studio.core.errors import BadInput


def _kernel(radius: int) -> Any:
    import cv2

    size = 2 * radius + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


MAX_RADIUS = 1024  # a larger kernel takes minutes and gigabytes for no visible gain


def _check_radius(px: int) -> int:
    try:
        px = int(px)
    except (TypeError, ValueError, OverflowError):
        raise BadInput(f"The size must be a whole number of pixels (got {px!r}).") from None
    if px < 0:
        raise BadInput("The size must not be negative.")
    if px > MAX_RADIUS:
        raise BadInput(f"The size must be at most {MAX_RADIUS} pixels (got {px}).")
    return px


MAX_FEATHER = 256
MAX_SEED = 2**63 - 1 - 64  # torch generators take 64-bit seeds; variations add their index


def check_blend(feather_px: Any, margin: Any) -> None:
    """Refuse blend settings that would be meaningless or allocate without bound."""
    import math

    if isinstance(feather_px, bool) or not isinstance(feather_px, int):
        raise BadInput(f"The feather must be a whole number of pixels (got {feather_px!r}).")
    if not 0 <= feather_px <= MAX_FEATHER:
        raise BadInput(f"The feather must be between 0 and {MAX_FEATHER} pixels.")
    if not isinstance(margin, (int, float)) or not math.isfinite(margin) or not 0 <= margin <= 4:
        raise BadInput("The context margin must be between 0 and 4.")


def check_side(value: Any, name: str, lo: int = 64, hi: int = 4096) -> None:
    """A working resolution in pixels: a whole number from ``lo`` to ``hi``."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadInput(f"The {name} must be a whole number from {lo} to {hi} (got {value!r}).")


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
