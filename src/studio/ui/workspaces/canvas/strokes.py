"""Brush and eraser strokes on the selection: drawn live on the view, one undo step each."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from studio.ui.workspaces.canvas.document import CanvasDocument, Selection
from studio.ui.workspaces.canvas.view import CanvasView


class BrushStrokes(QObject):
    """Paints the view's strokes into a copy of the mask; the finished stroke is one edit."""

    def __init__(self, doc: CanvasDocument, view: CanvasView, parent: QObject | None = None):
        super().__init__(parent)
        self.doc, self.view = doc, view
        self.mask: Any = None  # the stroke being drawn (a copy of the mask), or None
        self._before: Selection | None = None
        self._last: tuple[float, float] | None = None
        view.stroke_point.connect(self.stroke_to)
        view.stroke_finished.connect(self.finish)

    def stroke_to(self, x: float, y: float, first: bool) -> None:
        import cv2

        if not self.doc.has_image:
            return
        if first or self.mask is None:
            self._before = self.doc.selection
            self.mask = self.doc.mask.copy()
            self._last = (x, y)
        value = 0 if self.view.tool == "eraser" else 255
        radius = max(1, self.view.brush_size // 2)
        a = tuple(int(round(v)) for v in self._last)
        b = (int(round(x)), int(round(y)))
        cv2.line(self.mask, a, b, value, thickness=2 * radius, lineType=cv2.LINE_AA)
        cv2.circle(self.mask, b, radius, value, thickness=-1, lineType=cv2.LINE_AA)
        self._last = (x, y)
        self.view.set_mask(self.mask)  # live preview; one undo step at the end

    def finish(self) -> None:
        if self.mask is None:
            return
        mask, self.mask = self.mask, None
        self.doc.selection = self._before  # the command's "before"
        self.doc.set_mask(mask, "Erase mask" if self.view.tool == "eraser" else "Brush")

    def drop(self) -> None:
        """Forget a stroke in progress (a new document)."""
        self.mask = None
