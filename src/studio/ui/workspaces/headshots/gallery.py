"""The Headshots gallery: drafts streamed while a pack renders, then the reviewed pack best
first with scores, flagged images hidden unless asked.

The items (labels, scores, order) appear at once; their thumbnails are decoded from the
pack's files (up to 4K after upscaling) on an I/O worker and filled in as they arrive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from studio.pipelines.headshots import packs
from studio.ui.widgets.images import load_thumbnail, thumbnail_icon
from studio.ui.widgets.worker import IoWorkers

ICON = 160
INDEX = Qt.ItemDataRole.UserRole  # the image's index in its pack
FLAGGED = Qt.ItemDataRole.UserRole + 1


class Gallery(QListWidget):
    """Pack images as icons; several can be selected for re-roll and export."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, viewMode=QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(ICON, ICON))
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.workers = IoWorkers(self)
        self.show_flagged = False
        self._generation = 0  # thumbnails of a pack shown earlier are dropped

    def clear_images(self) -> None:
        self._generation += 1
        self.clear()

    def add_preview(self, image: Any, label: str) -> None:
        """A draft as it arrives (small; shown before its scores are in)."""
        self.addItem(QListWidgetItem(thumbnail_icon(image, ICON), label))

    def show_pack(self, pack: packs.Pack) -> None:
        self.clear_images()
        generation = self._generation
        blank = QPixmap(ICON, ICON)
        blank.fill(Qt.GlobalColor.transparent)
        for im in pack.ranked():
            label = f"#{im.index} id {im.id_score:.2f}" + (" ★" if im.final else "")
            item = QListWidgetItem(QIcon(blank), label)
            item.setData(INDEX, im.index)
            item.setData(FLAGGED, bool(im.flags))
            item.setToolTip(
                f"seed {im.seed}\nidentity {im.id_score:.2f}\nsharpness "
                f"{im.sharpness:.0f}\n{', '.join(im.flags) or 'ok'}"
            )
            self.addItem(item)
            self._load_icon(pack.path(im.final or im.draft), im.index, generation)
        self.apply_filter()

    def _load_icon(self, path: Path, index: int, generation: int) -> None:
        def put(image: Any) -> None:
            if generation != self._generation:
                return
            for row in range(self.count()):
                item = self.item(row)
                if item.data(INDEX) == index:
                    item.setIcon(thumbnail_icon(image, ICON))

        self.workers.run(lambda: load_thumbnail(path, ICON), put)  # unreadable: stays blank

    def set_show_flagged(self, show: bool) -> None:
        self.show_flagged = show
        self.apply_filter()

    def apply_filter(self) -> None:
        for row in range(self.count()):
            item = self.item(row)
            item.setHidden(bool(item.data(FLAGGED)) and not self.show_flagged)

    def visible_indices(self) -> list[int]:
        return [
            self.item(row).data(INDEX)
            for row in range(self.count())
            if not self.item(row).isHidden()
        ]

    def selected_indices(self) -> list[int]:
        """Pack indices of the selected images (streamed drafts have none)."""
        return [it.data(INDEX) for it in self.selectedItems() if it.data(INDEX) is not None]
