"""Picking a Lipsync avatar from the saved headshot packs (read from disk, not from the
Headshots workspace)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QIcon, QPixmap
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
from studio.ui.widgets.theme import tone_colour
from studio.ui.widgets.worker import IoWorkers

ICON = 128


@dataclass(frozen=True)
class Portrait:
    """One saved headshot: its caption, file and the review's flags (empty: not flagged)."""

    caption: str
    path: Path
    flags: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class PackPortraits:
    """What the packs under a folder offer: how many packs, and their portraits."""

    packs: int = 0
    portraits: list[Portrait] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        return sum(1 for p in self.portraits if p.flags)


def _inside(path: Path, folder: Path) -> bool:
    """Paths come from an editable pack.json: use only files inside their pack."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def pack_portraits(root: Path) -> PackPortraits:
    """Every saved headshot under ``root``: the unflagged ones first (newest pack first, best
    image first), then the flagged ones, marked; the refined image where there is one."""
    from studio.pipelines.headshots.packs import list_packs

    packs = list_packs(root)
    good, flagged = [], []
    for pack in packs:
        for im in pack.ranked():
            path = pack.path(im.final) if im.final else pack.path(im.draft)
            if not _inside(path, pack.folder) or not path.is_file():
                continue
            caption = f"{pack.style or pack.folder.name} #{im.index + 1}"
            if im.flags:
                flagged.append(Portrait(f"{caption} (flagged)", path, tuple(im.flags)))
            else:
                good.append(Portrait(caption, path))
    return PackPortraits(len(packs), good + flagged)


def heading_text(found: PackPortraits) -> str:
    """The line above the thumbnails: what there is, and why a list may look odd."""
    if not found.packs:
        return "No headshot packs yet: make one in the Headshots workspace."
    packs = f"{found.packs} pack" + ("s" if found.packs != 1 else "")
    if not found.portraits:
        return f"{packs}, but no images in them yet: finish a pack in the Headshots workspace."
    if found.flagged == len(found.portraits):
        return (
            f"{packs}, all images flagged by the review (blurred, another identity...): "
            "they are shown marked; pick one if it looks right."
        )
    if found.flagged:
        return "Pick a portrait (images the review flagged are marked and come last):"
    return "Pick a portrait:"


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
        found = pack_portraits(root)
        for portrait in found.portraits:
            item = QListWidgetItem(QIcon(blank), portrait.caption)
            item.setData(Qt.ItemDataRole.UserRole, str(portrait.path))
            tip = str(portrait.path)
            if portrait.flags:
                tip += "\nFlagged by the review: " + ", ".join(portrait.flags)
                item.setForeground(QBrush(tone_colour("error")))
            item.setToolTip(tip)
            self.list.addItem(item)
            self.workers.run(
                lambda p=portrait.path: load_thumbnail(p, ICON),
                lambda image, it=item: it.setIcon(thumbnail_icon(image, ICON)),
            )
        if self.list.count():
            self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Use this portrait")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.list.count() > 0)
        self.buttons = buttons
        self.heading = QLabel(heading_text(found), wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def chosen(self) -> Path | None:
        item = self.list.currentItem()
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None
