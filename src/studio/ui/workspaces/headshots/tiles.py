"""Plain placeholder tiles for the Headshots lists (a selfie without a face crop, a style
without a thumbnail, a portrait whose thumbnail is still loading), in the theme's colours."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication, QPainter, QPalette, QPixmap

from studio.ui.widgets.images import screen_dpr


def placeholder_tile(
    side: int, mark: str = "", dpr: float | None = None, height: int | None = None
) -> QPixmap:
    """A ``side`` x ``side`` logical-px square (``side`` x ``height`` for a portrait format;
    ``side * dpr`` device px, sharp at 200 %) in the palette's alternate-base colour, with
    ``mark`` centred in its placeholder-text colour: a tile that reads as empty on the dark
    and the light theme alike."""
    ratio = screen_dpr(dpr)
    height = height or side
    pixmap = QPixmap(max(1, round(side * ratio)), max(1, round(height * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    palette = QGuiApplication.palette()
    pixmap.fill(palette.color(QPalette.ColorRole.AlternateBase))
    if mark:
        painter = QPainter(pixmap)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        font = painter.font()
        font.setPixelSize(max(1, min(side, height) // 3))
        painter.setFont(font)
        painter.drawText(QRect(0, 0, side, height), Qt.AlignmentFlag.AlignCenter, mark)
        painter.end()
    return pixmap
