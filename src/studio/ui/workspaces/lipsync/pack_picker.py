"""Picking a Lipsync avatar from the saved headshot packs (read from disk, not from the
Headshots workspace)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.images import load_thumbnail, thumbnail_icon
from studio.ui.widgets.worker import IoWorkers

ICON = 128


def pack_portraits(root: Path) -> list[tuple[str, Path]]:
    """(caption, image path) for every saved headshot under ``root``: newest pack first, best
    image first, flagged images left out; the refined image where there is one."""
    from studio.pipelines.headshots.packs import list_packs

    found = []
    for pack in list_packs(root):
        for im in pack.ranked():
            path = pack.path(im.final) if im.final else pack.path(im.draft)
            if im.hidden or not path.is_file():
                continue
            found.append((f"{pack.style or pack.folder.name} #{im.index}", path))
    return found


class PackPicker(QDialog):
    """Thumbnails of the headshot packs' images; ``chosen()`` is the picked file."""

    def __init__(self, root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Portrait from a headshot pack")
        self.resize(640, 480)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.workers = IoWorkers(self)  # pack images may be 4K: decoded off the GUI thread
        blank = QPixmap(ICON, ICON)
        blank.fill(Qt.GlobalColor.transparent)
        for caption, path in pack_portraits(root):
            item = QListWidgetItem(QIcon(blank), caption)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.list.addItem(item)
            self.workers.run(
                lambda p=path: load_thumbnail(p, ICON),
                lambda image, it=item: it.setIcon(thumbnail_icon(image, ICON)),
            )
        if self.list.count():
            self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        empty = "No headshot packs yet: make one in the Headshots workspace."
        layout.addWidget(QLabel(empty if not self.list.count() else "Pick a portrait:"))
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def chosen(self) -> Path | None:
        item = self.list.currentItem()
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None
