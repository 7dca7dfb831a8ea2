"""Picking Live's screen region by dragging: a frameless, translucent window over one screen.

Press, drag and release draws the rectangle; ``chosen(QRect)`` gives it relative to the
screen's top-left corner (as :class:`~studio.ui.workspaces.live.sources.ScreenSource` takes
it). Esc (or a right click) gives ``cancelled``. A drag smaller than 8 x 8 pixels (a plain
click) is not a region: the overlay stays and says so.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPen, QScreen
from PySide6.QtWidgets import QWidget

MIN_SIDE = 8
HINT = "Drag over the part of the screen to stream  ·  Esc cancels"
TOO_SMALL = "That is too small: drag a rectangle at least 8 x 8 pixels  ·  Esc cancels"


class RegionOverlay(QWidget):
    """Covers ``screen`` (the primary one by default) until a region is dragged or Esc."""

    chosen = Signal(QRect)
    cancelled = Signal()

    def __init__(self, screen: QScreen | None = None) -> None:
        flags = (
            Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.Tool
        )
        super().__init__(None, flags)
        self.target_screen = screen or QGuiApplication.primaryScreen()
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.hint = HINT
        self._origin: QPoint | None = None
        self._current = QPoint()

    def start(self) -> None:
        """Cover the screen and take the keyboard (for Esc)."""
        # Placed by geometry: a frameless window covering the screen's rectangle is on it.
        self.setGeometry(self.target_screen.geometry())
        self.show()
        self.raise_()
        self.activateWindow()
        self.setFocus()

    def selection(self) -> QRect | None:
        """The rectangle being dragged (local = screen coordinates), from the press point to
        the pointer whichever way the drag goes; None when not dragging."""
        if self._origin is None:
            return None
        x0, x1 = sorted((self._origin.x(), self._current.x()))
        y0, y1 = sorted((self._origin.y(), self._current.y()))
        return QRect(x0, y0, x1 - x0, y1 - y0).intersected(self.rect())

    # -- input -----------------------------------------------------------------------------
    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.RightButton:
            self._cancel()
        elif event.button() == Qt.MouseButton.LeftButton:
            self._origin = self._current = event.position().toPoint()
            self.update()

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self._origin is not None:
            self._current = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._origin is None:
            return
        self._current = event.position().toPoint()
        region = self.selection()
        self._origin = None
        if region is None or region.width() < MIN_SIDE or region.height() < MIN_SIDE:
            self.hint = TOO_SMALL
            self.update()
            return
        self.close()
        self.chosen.emit(region)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
        else:
            super().keyPressEvent(event)

    def _cancel(self) -> None:
        self._origin = None
        self.close()
        self.cancelled.emit()

    # -- drawing ---------------------------------------------------------------------------
    def paintEvent(self, event: Any) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 110))  # the screen, dimmed
        region = self.selection()
        if region is not None and not region.isEmpty():
            # The chosen part shows undimmed, framed, with its size beside it.
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
            painter.fillRect(region, Qt.GlobalColor.transparent)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            painter.setPen(QPen(QColor(52, 152, 219), 2))
            painter.drawRect(region.adjusted(0, 0, -1, -1))
            label = f"{region.width()} x {region.height()}"
            at = region.bottomLeft() + QPoint(0, 18)
            if at.y() > self.height() - 4:
                at = region.topLeft() + QPoint(4, 16)
            painter.setPen(QColor("white"))
            painter.drawText(at, label)
        painter.setPen(QColor("white"))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(self.hint) + 32
        box = QRect((self.width() - width) // 2, 24, width, 40)
        painter.fillRect(box, QColor(0, 0, 0, 170))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.hint)
        painter.end()
