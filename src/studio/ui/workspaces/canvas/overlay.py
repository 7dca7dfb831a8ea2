"""What the canvas shows on top of the image: the clicks a selection came from, and a busy
badge (with the job's progress and a Cancel button) while a job works on this document."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

INCLUDE_COLOUR = QColor(40, 200, 90)  # green: "this belongs to the object"
EXCLUDE_COLOUR = QColor(230, 50, 50)  # red: "not this"
MARKER_RADIUS = 9  # screen pixels, whatever the zoom


def _marker_path(positive: bool) -> QPainterPath:
    """A disc with a plus (include) or a minus (exclude), centred on (0, 0)."""
    r = MARKER_RADIUS
    path = QPainterPath()
    path.addEllipse(QPointF(0, 0), r, r)
    bar = r * 0.55
    path.moveTo(-bar, 0)
    path.lineTo(bar, 0)
    if positive:
        path.moveTo(0, -bar)
        path.lineTo(0, bar)
    return path


class ClickMarkers:
    """The points (and box) of the current selection, drawn in the scene above the mask."""

    def __init__(self, scene: QGraphicsScene, z: float) -> None:
        self.scene, self.z = scene, z
        self.items: list[QGraphicsItem] = []

    def show(
        self,
        points: Sequence[tuple[float, float]],
        labels: Sequence[int],
        box: tuple[float, float, float, float] | None,
    ) -> None:
        """Replace the markers (image pixels are scene units: the image sits at 0, 0)."""
        self.clear()
        if box is not None:
            x0, y0, x1, y1 = box
            rect = QGraphicsRectItem(QRectF(x0, y0, x1 - x0, y1 - y0))
            rect.setPen(QPen(INCLUDE_COLOUR, 0, Qt.PenStyle.DashLine))
            self._add(rect)
        for (x, y), label in zip(points, labels, strict=True):
            colour = INCLUDE_COLOUR if label else EXCLUDE_COLOUR
            item = QGraphicsPathItem(_marker_path(bool(label)))
            item.setPen(QPen(QColor(255, 255, 255), 2))
            item.setBrush(QBrush(colour))
            item.setPos(x, y)
            # Same size on screen at any zoom: a marker must stay visible on a 6000 px photo.
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            item.setData(0, "include" if label else "exclude")
            self._add(item)

    def _add(self, item: QGraphicsItem) -> None:
        item.setZValue(self.z)
        self.scene.addItem(item)
        self.items.append(item)

    def clear(self) -> None:
        for item in self.items:
            self.scene.removeItem(item)
        self.items = []


class BusyOverlay(QFrame):
    """A badge at the top of the canvas while a job for this document runs."""

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("canvasBusy")
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setObjectName("canvasBusyText")
        self.progress = QProgressBar(textVisible=False)
        self.progress.setFixedWidth(140)
        self.progress.setRange(0, 100)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this job; nothing is changed")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)
        host.installEventFilter(self)

    def show_job(self, text: str, fraction: float | None, cancellable: bool) -> None:
        """Show ``text``; ``fraction`` None is a busy bar (the job has not said how far)."""
        self.label.setText(text if fraction is None else f"{text} {int(fraction * 100)}%")
        if fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(fraction * 100))
        self.cancel_button.setVisible(cancellable)
        self.setVisible(True)
        self.raise_()
        self._place()

    def _place(self) -> None:
        self.adjustSize()
        host = self.parentWidget()
        self.move(max(0, (host.width() - self.width()) // 2), 10)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
