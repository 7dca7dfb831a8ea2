"""Plain placeholder tiles for the Headshots lists (a selfie without a face crop, a style
without a thumbnail, a portrait whose thumbnail is still loading), in the theme's colours."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication, QPainter, QPalette, QPixmap

from studio.ui.widgets.images import screen_dpr


def placeholder_tile(side: int, mark: str = "", dpr: float | None = None) -> QPixmap:
    """A ``side`` x ``side`` logical-px square (``side * dpr`` device px, sharp at 200 %) in
    the palette's alternate-base colour, with ``mark`` centred in its placeholder-text colour:
    a tile that reads as empty on the dark and the light theme alike."""
    ratio = screen_dpr(dpr)
    device = max(1, round(side * ratio))
    pixmap = QPixmap(device, device)
    pixmap.setDevicePixelRatio(ratio)
    palette = QGuiApplication.palette()
    pixmap.fill(palette.color(QPalette.ColorRole.AlternateBase))
    if mark:
        painter = QPainter(pixmap)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        font = painter.font()
        font.setPixelSize(max(1, side // 3))
        painter.setFont(font)
        painter.drawText(QRect(0, 0, side, side), Qt.AlignmentFlag.AlignCenter, mark)
        painter.end()
    return pixmap
