"""A label that shows an image scaled to fit its size (Live's source and output views)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

from studio.ui.widgets.images import to_pixmap


class ImageView(QLabel):
    """Shows an image scaled to fit, re-scaled when the view is resized."""

    def __init__(self, text: str) -> None:
        super().__init__(text, alignment=Qt.AlignmentFlag.AlignCenter)
        self._pixmap: QPixmap | None = None
        # Ignored: the pixmap must never force the layout wider than the window.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(192, 192)
        self.setStyleSheet("background: #202020; color: #bbbbbb; border-radius: 4px;")

    def show_image(self, image: Any) -> None:
        self._pixmap = to_pixmap(image)
        self._rescale()

    def show_text(self, text: str) -> None:
        self._pixmap = None
        self.clear()
        self.setText(text)

    def _rescale(self) -> None:
        if self._pixmap is not None:
            # Fit the view in device pixels and say so: at 200 % a 300x300 view shows a
            # 600x600 pixmap drawn sharp at 300x300, not a 300x300 one blown up.
            dpr = self.devicePixelRatioF()
            fitted = self._pixmap.scaled(
                self.size() * dpr,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            fitted.setDevicePixelRatio(dpr)
            self.setPixmap(fitted)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._rescale()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        # Moved to a screen with another scale (or the scale changed): refit at its ratio.
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._rescale()
        return handled
