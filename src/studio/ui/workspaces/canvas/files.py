"""What the Canvas reads and asks about files: decoding on an I/O thread, the unsaved box."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox, QWidget


def decode(source: Any) -> Any:
    """A path, encoded bytes, a QImage, PIL image or array as an RGB uint8 array.

    Runs on an I/O thread; raises BadInput with a message for anything unreadable.
    """
    import numpy as np

    from studio.core.imageio import load_image

    if isinstance(source, QImage):  # QImage (not QPixmap) may be used off the GUI thread
        from studio.ui.widgets.images import qimage_to_array

        return decode(png_bytes(qimage_to_array(source, alpha=source.hasAlphaChannel())))
    if hasattr(source, "mode") and hasattr(source, "save"):  # a PIL image (a Live frame)
        return decode(png_bytes(source))
    if isinstance(source, np.ndarray):
        return decode(png_bytes(source))
    return np.ascontiguousarray(np.asarray(load_image(source), dtype=np.uint8))


def png_bytes(image: Any) -> bytes:
    """In-memory images go through imageio like any file: one set of size and mode checks."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    img = image if hasattr(image, "save") else Image.fromarray(image)
    img.save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def unsaved_edits_box(parent: QWidget, doing: str) -> QMessageBox:
    """Save / Discard / Cancel for edits that are not exported (Save is the default)."""
    buttons = (
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Unsaved edits",
        f"The canvas has edits that are not exported. Export them before you {doing}?",
        buttons,
        parent,
    )
    box.setObjectName("unsavedEditsBox")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    return box
