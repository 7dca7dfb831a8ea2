"""The history strip under the image: the original (or the earliest step kept) and every
image edit as a thumbnail; a click jumps there, undone steps stay grey and one click away."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from studio.ui.widgets.images import thumbnail_icon
from studio.ui.workspaces.canvas.document import CanvasDocument, ImageCommand

THUMB = 64


class HistoryStrip(QListWidget):
    """Thumbnails of one document's image edits; rebuilt whenever the undo stack moves."""

    def __init__(self, doc: CanvasDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setObjectName("historyStrip")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setFixedHeight(THUMB + 32)
        self.setMovement(QListView.Movement.Static)
        self.itemClicked.connect(self._jump)

    def labels(self) -> list[str]:
        """The entries' texts, oldest first."""
        return [self.item(i).text() for i in range(self.count())]

    def rebuild(self) -> None:
        self.clear()
        doc, stack = self.doc, self.doc.stack
        if not doc.has_image:
            return
        oldest = stack.command(0) if stack.count() else None
        if doc.history_trimmed and isinstance(oldest, ImageCommand):
            first = QListWidgetItem(thumbnail_icon(oldest.before_image, THUMB), "Earliest kept")
        else:
            first = QListWidgetItem(thumbnail_icon(doc.original, THUMB), "Original")
        first.setData(Qt.ItemDataRole.UserRole, 0)
        self.addItem(first)
        current = 0  # the entry the image shows now is the selected one
        for i in range(stack.count()):
            cmd = stack.command(i)
            if isinstance(cmd, ImageCommand):
                item = QListWidgetItem(thumbnail_icon(cmd.after_image, THUMB), cmd.text())
                item.setData(Qt.ItemDataRole.UserRole, i + 1)
                if i >= stack.index():
                    item.setForeground(Qt.GlobalColor.gray)  # undone: still one click away
                else:
                    current = self.count()
                self.addItem(item)
        self.setCurrentRow(current)

    def _jump(self, item: QListWidgetItem) -> None:
        self.doc.stack.setIndex(int(item.data(Qt.ItemDataRole.UserRole)))

    def keyboardSearch(self, search: str) -> None:  # noqa: N802
        # Letters are shortcuts here (hold B for before/after), never a search of the labels.
        _ = search
