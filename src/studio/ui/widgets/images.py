"""The one place where images cross between numpy / PIL and Qt.

Arrays are uint8: H x W (a grayscale mask), H x W x 3 (RGB) or H x W x 4 (RGBA, straight
alpha). Every function copies, so the caller may change or free its array afterwards, and
accepts non-contiguous arrays (crops, channel slices). ``QImage`` work is thread-safe, so
:func:`load_thumbnail` may run on a worker; ``QPixmap`` and ``QIcon`` belong to the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QImage, QPixmap

_FORMATS = {
    1: QImage.Format.Format_Grayscale8,
    3: QImage.Format.Format_RGB888,
    4: QImage.Format.Format_RGBA8888,
}


def as_array(image: Any) -> Any:
    """A PIL image or array as a C-contiguous uint8 array (H x W, H x W x 3 or H x W x 4).

    PIL images keep their alpha (RGBA, LA, PA) and their grayscale (L, 1); anything else
    (P, CMYK, I;16, ...) becomes RGB.
    """
    import numpy as np

    if hasattr(image, "convert") and hasattr(image, "mode"):
        mode = image.mode
        if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
            image = image.convert("RGBA")
        elif mode in ("L", "1"):
            image = image.convert("L")
        elif mode != "RGB":
            image = image.convert("RGB")
    array = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
    if array.ndim == 3 and array.shape[2] == 1:
        array = np.ascontiguousarray(array[:, :, 0])
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"expected an H x W, H x W x 3 or H x W x 4 image, got {array.shape}")
    return array


def to_qimage(image: Any) -> QImage:
    """A PIL image or uint8 array (mask, RGB or RGBA) as a QImage that owns its pixels."""
    array = as_array(image)
    h, w = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    return QImage(array.data, w, h, array.strides[0], _FORMATS[channels]).copy()


def qimage_to_array(image: QImage, alpha: bool = False) -> Any:
    """A QImage of any format as an H x W x 3 (or, with ``alpha``, H x W x 4) uint8 copy.

    Qt pads each row to 4 bytes; the padding is cut off here.
    """
    import numpy as np

    fmt, channels = (
        (QImage.Format.Format_RGBA8888, 4) if alpha else (QImage.Format.Format_RGB888, 3)
    )
    converted = image.convertToFormat(fmt)
    h, w, stride = converted.height(), converted.width(), converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits(), np.uint8, count=stride * h)
    return buffer.reshape(h, stride)[:, : w * channels].reshape(h, w, channels).copy()


def scaled(pixmap: QPixmap, side: int) -> QPixmap:
    """``pixmap`` shrunk or grown to fit a ``side`` x ``side`` square, smoothly."""
    return pixmap.scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def to_pixmap(image: Any, side: int | None = None) -> QPixmap:
    """A PIL image, array or QImage as a pixmap, fitted into ``side`` px when given."""
    qimage = image if isinstance(image, QImage) else to_qimage(image)
    pixmap = QPixmap.fromImage(qimage)
    return scaled(pixmap, side) if side else pixmap


def thumbnail_icon(image: Any, side: int) -> QIcon:
    """An icon of the image fitted into ``side`` px (history strips, galleries)."""
    return QIcon(to_pixmap(image, side))


def load_thumbnail(path: str | Path, side: int) -> QImage:
    """Decode an image file straight to a ``side`` px thumbnail (a 4K photo decodes at a
    fraction of its size). Safe on a worker thread; raises OSError for unreadable files."""
    from PIL import Image

    with Image.open(path) as img:
        img.draft("RGB", (side, side))  # JPEG: let the decoder skip the full size
        img.thumbnail((side, side))
        return to_qimage(img)
