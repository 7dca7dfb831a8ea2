"""Handles on the canvas edges while the Expand dialog is open: drag one outwards to set how
many pixels that side grows. A dashed frame shows the new canvas; the dialog's spin boxes
and the handles follow each other."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

SIDES = ("left", "top", "right", "bottom")
HANDLE_PX = 12  # on screen, whatever the zoom
MAX_GROW = 4096


class ExpandHandles(QObject):
    """Four square handles and the new canvas's frame in ``view``'s scene."""

    changed = Signal(str, int)  # side, pixels: a handle was dragged

    def __init__(self, view: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.sides = dict.fromkeys(SIDES, 0)
        self.dragging: str | None = None
        self._scene_rect: QRectF | None = None  # the view's own, while the handles show
        self._shown_size = (0, 0)
        z = 100.0  # above the photo, the selection and the click markers
        self.frame = QGraphicsRectItem()
        pen = QPen(QColor("#ffb300"), 0, Qt.PenStyle.DashLine)  # 0: one pixel at any zoom
        self.frame.setPen(pen)
        self.frame.setZValue(z)
        self.handles: dict[str, QGraphicsRectItem] = {}
        for side in SIDES:
            item = QGraphicsRectItem()
            item.setBrush(QBrush(QColor("#ffb300")))
            item.setPen(QPen(QColor("#202020"), 0))
            item.setZValue(z + 1)
            item.setToolTip(f"Drag to grow the {side} side")
            self.handles[side] = item
        for item in (self.frame, *self.handles.values()):
            item.setVisible(False)
            view.scene().addItem(item)

    @property
    def active(self) -> bool:
        return self.frame.isVisible()

    def show(self, sides: dict[str, int]) -> None:
        """Show the handles for these sides and zoom out so the new canvas is in view."""
        self.sides = {s: int(sides.get(s, 0)) for s in SIDES}
        for item in (self.frame, *self.handles.values()):
            item.setVisible(True)
        self._place()
        margin = HANDLE_PX * 2 / max(self.view.zoom, 1e-6)
        around = self.frame.rect().adjusted(-margin, -margin, margin, margin)
        scene = self.view.scene()
        # The scene ends one photo size past each edge; a larger new canvas must fit in it.
        self._scene_rect, self._shown_size = scene.sceneRect(), self._image_size()
        scene.setSceneRect(self._scene_rect.united(around))
        self.view.fitInView(around, Qt.AspectRatioMode.KeepAspectRatio)
        self.view.fitted = False  # a resize must not zoom back in onto the photo alone
        self._place()  # handle sizes follow the new zoom
        self.view.viewport().installEventFilter(self)

    def hide(self) -> None:
        self.view.viewport().removeEventFilter(self)
        self.dragging = None
        for item in (self.frame, *self.handles.values()):
            item.setVisible(False)
        if self._scene_rect is not None and self._image_size() == self._shown_size:
            # The same photo: back to its own scene (a new image has set its own).
            self.view.scene().setSceneRect(self._scene_rect)
        self._scene_rect = None
        self.view.fit()

    def set_sides(self, sides: dict[str, int]) -> None:
        """The dialog's values changed: move the handles and the frame."""
        self.sides = {s: int(sides.get(s, 0)) for s in SIDES}
        self._place()

    def handle_centre(self, side: str) -> QPointF:
        """Where ``side``'s handle sits, in image pixels."""
        w, h = self._image_size()
        s = self.sides
        cx = (-s["left"] + w + s["right"]) / 2
        cy = (-s["top"] + h + s["bottom"]) / 2
        return {
            "left": QPointF(-s["left"], cy),
            "right": QPointF(w + s["right"], cy),
            "top": QPointF(cx, -s["top"]),
            "bottom": QPointF(cx, h + s["bottom"]),
        }[side]

    def _image_size(self) -> tuple[int, int]:
        pix = self.view.image_item.pixmap()
        return pix.width(), pix.height()

    def _place(self) -> None:
        w, h = self._image_size()
        s = self.sides
        self.frame.setRect(
            QRectF(-s["left"], -s["top"], w + s["left"] + s["right"], h + s["top"] + s["bottom"])
        )
        half = HANDLE_PX / 2 / max(self.view.zoom, 1e-6)
        for side, item in self.handles.items():
            c = self.handle_centre(side)
            item.setRect(QRectF(c.x() - half, c.y() - half, 2 * half, 2 * half))

    def _hit(self, p: QPointF) -> str | None:
        reach = HANDLE_PX / max(self.view.zoom, 1e-6)  # a little more than the square
        for side in SIDES:
            c = self.handle_centre(side)
            if abs(p.x() - c.x()) <= reach and abs(p.y() - c.y()) <= reach:
                return side
        return None

    def _value(self, side: str, p: QPointF) -> int:
        w, h = self._image_size()
        raw = {"left": -p.x(), "top": -p.y(), "right": p.x() - w, "bottom": p.y() - h}[side]
        return max(0, min(MAX_GROW, round(raw)))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self.dragging = self._hit(self.view.image_pos(event.position()))
            return self.dragging is not None  # elsewhere the tools work as usual
        if kind == QEvent.Type.MouseMove and self.dragging is not None:
            value = self._value(self.dragging, self.view.image_pos(event.position()))
            if value != self.sides[self.dragging]:
                self.sides[self.dragging] = value
                self._place()
                self.changed.emit(self.dragging, value)
            return True
        if kind == QEvent.Type.MouseButtonRelease and self.dragging is not None:
            self.dragging = None
            return True
        return False
