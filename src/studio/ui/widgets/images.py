"""The one place where images cross between numpy / PIL and Qt.

Arrays are uint8: H x W (a grayscale mask), H x W x 3 (RGB) or H x W x 4 (RGBA, straight
alpha). Every function copies, so the caller may change or free its array afterwards, and
accepts non-contiguous arrays (crops, channel slices). ``QImage`` work is thread-safe, so
:func:`load_thumbnail` may run on a worker; ``QPixmap`` and ``QIcon`` belong to the GUI thread.

Sizes (``side``) are logical pixels. On a high-DPI screen (200 % scaling: a device pixel ratio
of 2) a thumbnail is built with ``side * dpr`` device pixels and carries that ratio, so Qt
draws it sharp at ``side`` logical pixels instead of blowing a ``side`` px image up. The ratio
is the target's when the caller passes ``dpr`` (e.g. ``widget.devicePixelRatioF()``), else the
application's (the highest of its screens: shrinking on a lower-DPI screen stays sharp).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPixmap

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


def screen_dpr(dpr: float | None = None) -> float:
    """``dpr`` when given, else the application's device pixel ratio (1 without an app)."""
    if dpr:
        return float(dpr)
    # A read of the screens' ratios: also called from load_thumbnail on a worker thread;
    # the screen list only changes on the GUI thread, rarely, and a stale read only costs
    # a resample.
    app = QGuiApplication.instance()
    return app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0


def _device_side(side: int, dpr: float) -> int:
    return max(1, round(side * dpr))


def scaled(pixmap: QPixmap, side: int, *, dpr: float | None = None) -> QPixmap:
    """``pixmap`` shrunk or grown to fit a ``side`` x ``side`` logical-pixel square, smoothly,
    with ``side * dpr`` device pixels and that device pixel ratio."""
    ratio = screen_dpr(dpr)
    device = _device_side(side, ratio)
    out = pixmap.scaled(
        device,
        device,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    out.setDevicePixelRatio(ratio)  # detaches: a same-size result shares pixmap's data
    return out


def to_pixmap(image: Any, side: int | None = None, *, dpr: float | None = None) -> QPixmap:
    """A PIL image, array or QImage as a pixmap. With ``side`` it is sized for display: fitted
    into ``side`` logical px at the device pixel ratio (see the module docstring); without,
    it holds the image's own pixels (at a QImage's own ratio, else 1: a source to scale)."""
    qimage = image if isinstance(image, QImage) else to_qimage(image)
    pixmap = QPixmap.fromImage(qimage)
    return scaled(pixmap, side, dpr=dpr) if side else pixmap


def thumbnail_icon(image: Any, side: int, *, dpr: float | None = None) -> QIcon:
    """An icon of the image fitted into ``side`` logical px (history strips, galleries),
    sharp at the device pixel ratio."""
    return QIcon(to_pixmap(image, side, dpr=dpr))


def load_thumbnail(path: str | Path, side: int, *, dpr: float | None = None) -> QImage:
    """Decode an image file straight to a thumbnail fitted into ``side`` logical px: ``side *
    dpr`` device px carrying that ratio (a 4K photo decodes at a fraction of its size). Safe
    on a worker thread; raises OSError for unreadable files."""
    from PIL import Image

    ratio = screen_dpr(dpr)
    device = _device_side(side, ratio)
    with Image.open(path) as img:
        img.draft("RGB", (device, device))  # JPEG: let the decoder skip the full size
        img.thumbnail((device, device))
        image = to_qimage(img)
    image.setDevicePixelRatio(ratio)
    return image
