"""The canvas document: the photo, its selection mask and an undo stack of every edit.

Every change goes through a :class:`QUndoCommand` holding full before/after snapshots (numpy
arrays), so undo and redo are exact. Image edits (remove, fill, cut-out, upscale) also carry
the settings used, which become the export metadata and the history strip's entries.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

_doc_ids = itertools.count(1)


@dataclass(frozen=True)
class Selection:
    """The mask plus the clicks / box it came from (SAM refines from all of them)."""

    mask: Any  # HxW uint8
    points: tuple[tuple[float, float], ...] = ()
    labels: tuple[int, ...] = ()
    box: tuple[float, float, float, float] | None = None


@dataclass
class EditRecord:
    """What an image edit did, for metadata and the history strip."""

    op: str
    settings: dict[str, Any] = field(default_factory=dict)


class MaskCommand(QUndoCommand):
    def __init__(self, doc: CanvasDocument, before: Selection, after: Selection, text: str):
        super().__init__(text)
        self.doc, self.before, self.after = doc, before, after

    def copy(self) -> MaskCommand:
        return MaskCommand(self.doc, self.before, self.after, self.text())

    def redo(self) -> None:
        if not self.doc._replaying:
            self.doc._set_selection(self.after)

    def undo(self) -> None:
        if not self.doc._replaying:
            self.doc._set_selection(self.before)


class ImageCommand(QUndoCommand):
    """An image edit; the selection is reset (its clicks belong to the old pixels)."""

    def __init__(
        self,
        doc: CanvasDocument,
        after_image: Any,
        record: EditRecord,
        after_mask: Any = None,
        before: tuple[Any, Selection] | None = None,
    ):
        super().__init__(record.op)
        import numpy as np

        self.doc, self.record = doc, record
        self.before_image, self.before_sel = before or (doc.image, doc.selection)
        self.after_image = after_image
        h, w = after_image.shape[:2]
        mask = after_mask if after_mask is not None else np.zeros((h, w), np.uint8)
        self.after_sel = Selection(mask)
        self.cutout: tuple[Any, Any, Any] | None = None  # (source RGB, alpha, background)

    def choose(self, image: Any, settings: dict[str, Any]) -> None:
        """Swap in another variation of the same edit (stays one undo step)."""
        self.after_image = image
        self.record.settings.update(settings)
        if (
            self.doc.stack.index() > 0
            and self.doc.stack.command(self.doc.stack.index() - 1) is self
        ):
            self.doc._set_image(image, self.after_sel)

    def copy(self) -> ImageCommand:
        twin = ImageCommand(
            self.doc,
            self.after_image,
            self.record,
            self.after_sel.mask,
            (self.before_image, self.before_sel),
        )
        twin.cutout = self.cutout
        return twin

    def pixels(self) -> int:
        """The largest snapshot this step holds, in pixels."""
        return max(_pixels(self.before_image), _pixels(self.after_image))

    def redo(self) -> None:
        if not self.doc._replaying:
            self.doc._set_image(self.after_image, self.after_sel)

    def undo(self) -> None:
        if not self.doc._replaying:
            self.doc._set_image(self.before_image, self.before_sel)


UNDO_BUDGET_BYTES = 1_500_000_000  # image snapshots kept for undo, roughly


def undo_limit(pixels: int) -> int:
    """How many steps to keep: each holds about one RGBA snapshot; 10 to 100 steps."""
    return max(10, min(100, UNDO_BUDGET_BYTES // max(1, pixels * 4)))


def _pixels(image: Any) -> int:
    return 0 if image is None else int(image.shape[0]) * int(image.shape[1])


class CanvasDocument(QObject):
    """The image being edited (HxWx3 or HxWx4 uint8), the selection and the undo stack."""

    image_changed = Signal()
    selection_changed = Signal()
    opened = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.image: Any = None
        self.original: Any = None  # as opened: the "before" of before/after
        self.selection = Selection(None)
        self.source_name = ""
        self.uid = 0
        self.revision = 0  # bumps on every image change: the SAM embedding key
        self.trimmed = False  # steps were dropped when the limit shrank
        self._replaying = False  # True while the stack is rebuilt: commands change nothing

    # ---- state ---------------------------------------------------------------------------
    @property
    def history_trimmed(self) -> bool:
        """True once the oldest steps may have been dropped to stay within memory."""
        limit = self.stack.undoLimit()
        return self.trimmed or (limit > 0 and self.stack.count() >= limit)

    @property
    def has_image(self) -> bool:
        return self.image is not None

    @property
    def mask(self) -> Any:
        return self.selection.mask

    @property
    def size(self) -> tuple[int, int]:
        return (self.image.shape[1], self.image.shape[0]) if self.has_image else (0, 0)

    @property
    def image_key(self) -> str:
        return f"canvas-doc{self.uid}-rev{self.revision}"

    @property
    def dirty(self) -> bool:
        return self.has_image and not self.stack.isClean()

    def rgb(self) -> Any:
        """The image as RGB for the pipelines (a cut-out's alpha is dropped)."""
        return self.image[:, :, :3]

    def edits(self) -> list[EditRecord]:
        """The image edits up to the current undo position, oldest first."""
        out = []
        for i in range(self.stack.index()):
            cmd = self.stack.command(i)
            if isinstance(cmd, ImageCommand):
                out.append(cmd.record)
        return out

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source_name,
            "size": list(self.size),
            "edits": [{"op": r.op, **r.settings} for r in self.edits()],
        }

    # ---- opening ---------------------------------------------------------------------------
    def open(self, image: Any, name: str = "", original: Any = None) -> None:
        """Start a new document (clears the undo history)."""
        import numpy as np

        arr = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
        self.stack.clear()
        self.stack.setUndoLimit(undo_limit(arr.shape[0] * arr.shape[1]))
        self.uid = next(_doc_ids)
        self.revision = 0
        self.trimmed = False
        self.image = arr
        self.original = arr if original is None else np.asarray(original, dtype=np.uint8)
        self.source_name = name
        self.selection = Selection(np.zeros(arr.shape[:2], np.uint8))
        self.stack.setClean()
        self.image_changed.emit()
        self.selection_changed.emit()
        self.opened.emit()  # last: listeners see the new image and selection

    # ---- edits (each one undoable) -----------------------------------------------------------
    def set_selection(self, selection: Selection, text: str) -> None:
        self.stack.push(MaskCommand(self, self.selection, selection, text))

    def set_mask(self, mask: Any, text: str) -> None:
        """Replace the mask; the clicks that made the old one no longer apply."""
        self.set_selection(Selection(mask), text)

    def apply_image(
        self, image: Any, op: str, settings: dict[str, Any] | None = None, mask: Any = None
    ) -> ImageCommand:
        import numpy as np

        cmd = ImageCommand(
            self,
            np.ascontiguousarray(image, dtype=np.uint8),
            EditRecord(op, dict(settings or {})),
            mask,
        )
        self.stack.push(cmd)
        return self._fit_history(cmd)

    # ---- memory cap ---------------------------------------------------------------------------
    def _fit_history(self, newest: ImageCommand) -> ImageCommand:
        """Recompute the step limit from the largest snapshot held (an upscale x4 makes each
        new step 16x larger); returns ``newest`` or, after a rebuild, its copy."""
        largest = max(
            [_pixels(self.original)]
            + [
                c.pixels()
                for c in map(self.stack.command, range(self.stack.count()))
                if isinstance(c, ImageCommand)
            ]
        )
        limit = undo_limit(largest)
        if limit == self.stack.undoLimit():
            return newest
        kept = self._rebuild(limit)
        return kept[-1] if kept and isinstance(kept[-1], ImageCommand) else newest

    def _rebuild(self, limit: int) -> list[Any]:
        """Refill the stack under a new limit, keeping the newest steps, the position and
        the saved (clean) state. QUndoStack only takes a new limit while it is empty."""
        stack = self.stack
        count, index, clean = stack.count(), stack.index(), stack.cleanIndex()
        first = max(0, count - limit)  # called right after a push: index == count
        kept = [stack.command(i).copy() for i in range(first, count)]
        self._replaying = True
        stack.blockSignals(True)
        try:
            stack.clear()
            stack.setUndoLimit(limit)
            for cmd in kept:
                stack.push(cmd)  # no-ops: the document already shows their result
            if clean >= first:
                stack.setIndex(clean - first)
                stack.setClean()
            else:
                stack.resetClean()  # the saved state was dropped: stays unsaved
            stack.setIndex(max(0, index - first))
        finally:
            stack.blockSignals(False)
            self._replaying = False
        self.trimmed = self.trimmed or first > 0
        stack.indexChanged.emit(stack.index())
        stack.cleanChanged.emit(stack.isClean())
        return kept

    # ---- called by the commands ---------------------------------------------------------------
    def _set_selection(self, selection: Selection) -> None:
        self.selection = selection
        self.selection_changed.emit()

    def _set_image(self, image: Any, selection: Selection) -> None:
        self.image = image
        self.revision += 1
        self.selection = selection
        self.image_changed.emit()
        self.selection_changed.emit()
