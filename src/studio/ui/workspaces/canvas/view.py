"""The image view: zoom (wheel, fit, 100 %), pan (middle-drag or Space+drag), mask overlay,
click markers, before/after split, and the pointer tools (select by click/box, brush, eraser).

The view only reports what the pointer did, in image pixels; the workspace turns that into
jobs and document edits.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
)

from studio.ui.widgets.images import to_qimage
from studio.ui.workspaces.canvas.overlay import ClickMarkers

MASK_COLOUR = (255, 40, 140)  # a pink that stands out on skin, sky and foliage alike
DRAG_THRESHOLD = 4  # screen pixels before a press becomes a box drag
SPLIT_GRAB = 6  # screen pixels either side of the before/after line that grab it
MIN_ZOOM, MAX_ZOOM = 0.02, 32.0


def mask_overlay(mask: Any, colour: tuple[int, int, int] = MASK_COLOUR) -> QImage:
    """The mask as a half-transparent colour layer."""
    import numpy as np

    h, w = mask.shape
    rgba = np.empty((h, w, 4), np.uint8)
    rgba[:, :, :3] = colour
    rgba[:, :, 3] = (mask.astype(np.uint16) * 110 // 255).astype(np.uint8)
    return to_qimage(rgba)


def checkerboard() -> QBrush:
    tile = QPixmap(16, 16)
    tile.fill(QColor(200, 200, 200))
    painter = QPainter(tile)
    painter.fillRect(0, 0, 8, 8, QColor(235, 235, 235))
    painter.fillRect(8, 8, 8, 8, QColor(235, 235, 235))
    painter.end()
    return QBrush(tile)


EMPTY_HINT = "Open a photo (Ctrl+O), drop one here, or paste one (Ctrl+V)"


class CanvasView(QGraphicsView):
    """Shows the image with its mask; emits pointer actions in image coordinates."""

    point_clicked = Signal(float, float, int)  # x, y, label (1 include, 0 exclude)
    box_drawn = Signal(float, float, float, float)
    stroke_point = Signal(float, float, bool)  # x, y, first point of a stroke?
    stroke_finished = Signal()
    zoom_changed = Signal(float)
    split_dragged = Signal(float)  # the before/after line dragged to this fraction
    files_dropped = Signal(list)  # local paths
    image_dropped = Signal(object)  # QImage

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(
            QPainter.RenderHint.SmoothPixmapTransform | QPainter.RenderHint.Antialiasing
        )
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setBackgroundBrush(QColor(48, 48, 52))
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setObjectName("canvasView")
        self.backdrop = QGraphicsRectItem()
        self.backdrop.setBrush(checkerboard())  # shows through a cut-out's transparency
        self.backdrop.setPen(QPen(Qt.PenStyle.NoPen))
        self.image_item = QGraphicsPixmapItem()
        self.mask_item = QGraphicsPixmapItem()
        self.before_clip = QGraphicsRectItem()  # clips the "before" image to the split
        self.before_clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        self.before_clip.setPen(QPen(QColor(255, 255, 255), 0))
        self.before_item = QGraphicsPixmapItem(self.before_clip)
        self.rubber = QGraphicsRectItem()
        self.rubber.setPen(QPen(QColor(255, 255, 255), 0, Qt.PenStyle.DashLine))
        self.cursor_ring = QGraphicsEllipseItem()
        self.cursor_ring.setPen(QPen(QColor(255, 255, 255), 0))
        for z, item in enumerate(
            (
                self.backdrop,
                self.image_item,
                self.mask_item,
                self.before_clip,
                self.rubber,
                self.cursor_ring,
            )
        ):
            item.setZValue(z)
            self.scene().addItem(item)
        for item in (self.before_clip, self.rubber, self.cursor_ring):
            item.setVisible(False)
        self.markers = ClickMarkers(self.scene(), z=self.rubber.zValue() + 0.5)
        for item in (self.image_item, self.mask_item, self.before_item):
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.tool = "select"  # select | brush | eraser
        self.brush_size = 24
        self.split = 0.0  # 0 = after only, 1 = before everywhere
        self._press: QPointF | None = None
        self._press_button = Qt.MouseButton.NoButton
        self._dragging_box = False
        self._stroking = False
        self._pan_from: QPointF | None = None
        self._space = False
        self.fitted = False  # zoomed to fit and not zoomed since: a resize fits again
        self._dragging_split = False

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """With no image yet, say how to get one (an empty dark square explains nothing)."""
        super().drawForeground(painter, rect)
        if not self.image_item.pixmap().isNull():
            return
        painter.save()
        painter.resetTransform()  # draw in viewport pixels, whatever the zoom
        painter.setPen(QColor(200, 200, 206))
        font = painter.font()
        font.setPointSize(13)
        painter.setFont(font)
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
        painter.restore()

    # ---- content -----------------------------------------------------------------------------
    def set_image(self, arr: Any, fit: bool = False) -> None:
        old = self.image_item.pixmap()
        first = old.isNull()
        size_changed = not first and (old.width(), old.height()) != (arr.shape[1], arr.shape[0])
        self.image_item.setPixmap(QPixmap.fromImage(to_qimage(arr)))
        rect = QRectF(0, 0, arr.shape[1], arr.shape[0])
        self.backdrop.setRect(rect)
        self.scene().setSceneRect(
            rect.adjusted(-rect.width(), -rect.height(), rect.width(), rect.height())
        )
        if fit or first or size_changed:
            self.fit()
        self._update_split()

    def set_mask(self, mask: Any) -> None:
        if mask is None:
            self.mask_item.setPixmap(QPixmap())
            return
        self.mask_item.setPixmap(QPixmap.fromImage(mask_overlay(mask)))

    def set_before(self, arr: Any) -> None:
        pix = QPixmap.fromImage(to_qimage(arr))
        self.before_item.setPixmap(pix)
        # An upscaled "after" is bigger: stretch the before image over the same area.
        w = self.image_item.pixmap().width()
        if pix.width() and w:
            self.before_item.setScale(w / pix.width())
        self._update_split()

    def set_split(self, fraction: float) -> None:
        """Show the "before" image over the left ``fraction`` of the picture."""
        self.split = max(0.0, min(1.0, fraction))
        self._update_split()

    def _update_split(self) -> None:
        pix = self.image_item.pixmap()
        show = self.split > 0 and not pix.isNull() and not self.before_item.pixmap().isNull()
        self.before_clip.setVisible(show)
        if show:
            self.before_clip.setRect(QRectF(0, 0, pix.width() * self.split, pix.height()))

    # ---- zoom --------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return float(self.transform().m11())

    def set_zoom(self, factor: float) -> None:
        self.fitted = False
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self.scale(factor / self.zoom, factor / self.zoom)
        self.zoom_changed.emit(self.zoom)

    def fit(self) -> None:
        if self.image_item.pixmap().isNull():
            return
        self.resetTransform()
        self.fitInView(self.image_item, Qt.AspectRatioMode.KeepAspectRatio)
        self.fitted = True
        self.zoom_changed.emit(self.zoom)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.fitted:  # the window or the panel changed size: the whole image stays in view
            self.fit()

    def actual_size(self) -> None:
        self.set_zoom(1.0)
        self.centerOn(self.image_item)

    def wheelEvent(self, event: Any) -> None:  # noqa: N802
        # Continuous factor per wheel delta: trackpads (small deltas) zoom smoothly too.
        self.set_zoom(self.zoom * 1.0015 ** event.angleDelta().y())
        event.accept()

    # ---- pointer -----------------------------------------------------------------------------
    def image_pos(self, view_pos: Any) -> QPointF:
        return self.image_item.mapFromScene(
            self.mapToScene(view_pos.toPoint() if hasattr(view_pos, "toPoint") else view_pos)
        )

    def _inside(self, p: QPointF) -> bool:
        pix = self.image_item.pixmap()
        return not pix.isNull() and 0 <= p.x() < pix.width() and 0 <= p.y() < pix.height()

    def _pan(self, pos: QPointF) -> None:
        delta = pos - self._pan_from
        self._pan_from = pos
        self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
        self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        pos = event.position()
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            self._space and button == Qt.MouseButton.LeftButton
        ):
            self._pan_from = pos
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if self.image_item.pixmap().isNull():
            return
        if button == Qt.MouseButton.LeftButton and self._near_split(pos):
            self._dragging_split = True  # the line, not a click on the image under it
            return
        self._press, self._press_button = pos, button
        if self.tool in ("brush", "eraser") and button == Qt.MouseButton.LeftButton:
            self._stroking = True
            p = self.image_pos(pos)
            self.stroke_point.emit(p.x(), p.y(), True)

    def _near_split(self, pos: QPointF) -> bool:
        """Whether ``pos`` (viewport) is on the before/after line, while one shows."""
        if not self.before_clip.isVisible():
            return False
        line = self.mapFromScene(self.image_item.mapToScene(self.before_clip.rect().topRight()))
        return abs(line.x() - pos.x()) <= SPLIT_GRAB

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802
        pos = event.position()
        p = self.image_pos(pos)
        if self._dragging_split:
            width = self.image_item.pixmap().width()
            self.split_dragged.emit(max(0.0, min(1.0, p.x() / width)))
            return
        if self._pan_from is None and not self._space:
            if self._near_split(pos):
                self.viewport().setCursor(Qt.CursorShape.SplitHCursor)
            else:
                self.viewport().unsetCursor()
        if self.tool in ("brush", "eraser"):
            r = self.brush_size / 2
            self.cursor_ring.setRect(QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r))
            self.cursor_ring.setVisible(True)
        if self._pan_from is not None:
            self._pan(pos)
            return
        if self._stroking:
            self.stroke_point.emit(p.x(), p.y(), False)
            return
        if (
            self._press is not None
            and self.tool == "select"
            and (self._press_button == Qt.MouseButton.LeftButton)
        ):
            if (pos - self._press).manhattanLength() > DRAG_THRESHOLD:
                self._dragging_box = True
                a = self.image_pos(self._press)
                self.rubber.setRect(QRectF(a, p).normalized())
                self.rubber.setVisible(True)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802
        pos = event.position()
        if self._dragging_split:
            self._dragging_split = False
            return
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        press, self._press = self._press, None
        if self._stroking:
            self._stroking = False
            self.stroke_finished.emit()
            return
        if press is None or self.tool != "select":
            return
        if self._dragging_box:
            self._dragging_box = False
            self.rubber.setVisible(False)
            r = QRectF(self.image_pos(press), self.image_pos(pos)).normalized()
            pix = self.image_item.pixmap()
            r = r.intersected(QRectF(0, 0, pix.width(), pix.height()))
            if r.width() >= 2 and r.height() >= 2:
                self.box_drawn.emit(r.left(), r.top(), r.right(), r.bottom())
            return
        p = self.image_pos(pos)
        if not self._inside(p):
            return
        negative = self._press_button == Qt.MouseButton.RightButton or bool(
            event.modifiers() & Qt.KeyboardModifier.AltModifier
        )
        self.point_clicked.emit(p.x(), p.y(), 0 if negative else 1)

    def contextMenuEvent(self, event: Any) -> None:  # noqa: N802
        event.accept()  # right-click is a negative point, not a menu

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def leaveEvent(self, event: Any) -> None:  # noqa: N802
        self.cursor_ring.setVisible(False)
        super().leaveEvent(event)

    # ---- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802
        data = event.mimeData()
        paths = [u.toLocalFile() for u in data.urls() if u.isLocalFile()]
        if paths:
            self.files_dropped.emit(paths)
        elif data.hasImage():
            self.image_dropped.emit(data.imageData())
        event.acceptProposedAction()
