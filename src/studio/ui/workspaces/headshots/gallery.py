"""The Headshots gallery: drafts streamed while a pack renders, then the reviewed pack best
first with scores; flagged images always carry a badge and their reason, and can be hidden.
Tiles take the pack's format (1:1, 4:5, 2:3), the whole portrait fitted, never cropped.

Images are numbered from #1 everywhere (a pack's index 0 is "#1", exported as
``headshot_001``), while drafting and after. The items (labels, scores, order) appear at once;
their thumbnails are decoded from the pack's files (up to 4K after upscaling) on an I/O worker
and filled in as they arrive. Showing the same pack again (after a re-roll) updates the items
in place: each keeps its place and the selection stays. Show before (``compare``) swaps the
selected portraits that went through face detail to the image before it, with the same flags.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from studio.ui.widgets.images import load_thumbnail, to_pixmap
from studio.ui.widgets.worker import IoWorkers
from studio.ui.workspaces.headshots.tiles import placeholder_tile

if TYPE_CHECKING:  # the packs module loads numpy; only its types are needed here
    from studio.pipelines.headshots.packs import Pack

ICON = 160
INDEX = Qt.ItemDataRole.UserRole  # the image's index in its pack (None: a streaming draft)
FLAGGED = Qt.ItemDataRole.UserRole + 1
SHOWN = Qt.ItemDataRole.UserRole + 2  # (seed, file) the thumbnail shows: redrawn on change
BEFORE = Qt.ItemDataRole.UserRole + 3  # the refined image before face detail ("" if none)
FLAG_NAMES = {
    "no-face": "no face found",
    "low-identity": "does not look like you",
    "blurred": "blurred",
    "duplicate": "near duplicate",
}


def number(index: int) -> str:
    """How the UI names a pack image: index 0 is "#1"."""
    return f"#{index + 1}"


def score(value: float) -> str:
    """Two decimals, never "-0.00" (a tiny negative score rounds to zero)."""
    return f"{round(value, 2) + 0.0:.2f}"


def flag_text(flags: list[str]) -> str:
    return ", ".join(FLAG_NAMES.get(f, f) for f in flags)


def review_note(pack: Pack, hide_flagged: bool) -> str:
    """One line over the gallery: how many images were flagged, why, and where they are."""
    total = len(pack.images)
    if total == 0:
        return "This pack has no images yet."
    flagged = [im for im in pack.images if im.flags]
    if not flagged:
        return f"{total} portrait(s), best first. Select some to re-roll or export."
    reasons = Counter(f for im in flagged for f in im.flags)
    why = ", ".join(f"{FLAG_NAMES.get(f, f)}: {n}" for f, n in reasons.most_common())
    every = len(flagged) == total
    head = f"All {total} images" if every else f"{len(flagged)} of {total} images"
    where = "hidden (untick Hide flagged to see them)" if hide_flagged else "marked ⚠"
    advice = " Clearer selfies or another style may help." if every else ""
    return f"{head} were flagged ({why}) and are {where}.{advice}"


def _badged(pixmap: QPixmap) -> QPixmap:
    """The thumbnail with a warning badge in its top-left corner (flagged images)."""
    out = QPixmap(pixmap)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    size = out.deviceIndependentSize()  # logical px: the painter works in them at any dpr
    side = max(18, int(min(size.width(), size.height())) // 5)
    box = QRect(4, 4, side, side)
    painter.setPen(QColor(255, 255, 255))
    painter.setBrush(QColor(214, 120, 0))
    painter.drawEllipse(box)
    font = painter.font()
    font.setPixelSize(int(side * 0.7))
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "!")
    painter.end()
    return out


class Gallery(QListWidget):
    """Pack images as icons at the pack's format; several can be selected for re-roll and
    export. With ``compare`` on (Show before), the selected portraits that went through face
    detail show the image before it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, viewMode=QListWidget.ViewMode.IconMode)
        self.setWordWrap(True)
        self.setMovement(QListWidget.Movement.Static)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.workers = IoWorkers(self)
        self.hide_flagged = False
        self.compare = False
        self.folder: Path | None = None  # the pack shown (None: empty or streaming drafts)
        self.pack: Pack | None = None
        self._generation = 0  # thumbnails of a pack shown earlier are dropped
        self._icons: dict[str, QPixmap] = {}  # SHOWN key -> thumbnail: toggles are instant
        self.set_frame(1, 1)
        self.itemSelectionChanged.connect(lambda: self.compare and self.refresh_icons())

    def set_frame(self, width: int, height: int) -> None:
        """Tiles at the portraits' format (``width`` x ``height``), fitted into ICON px."""
        scale = ICON / max(width, height, 1)
        self.tile = QSize(max(1, round(width * scale)), max(1, round(height * scale)))
        self.setIconSize(self.tile)
        self.setGridSize(QSize(max(self.tile.width(), 128) + 24, self.tile.height() + 48))

    def _blank(self, flagged: bool) -> QPixmap:
        # tile-sized, ICON * dpr device px at most, in the theme's colours
        tile = placeholder_tile(self.tile.width(), height=self.tile.height())
        return _badged(tile) if flagged else tile

    def clear_images(self) -> None:
        self._generation += 1
        self.folder, self.pack = None, None
        self._icons.clear()
        self.clear()

    def add_preview(self, image: Any, done: int) -> None:
        """The ``done``-th draft as it arrives (drafts are saved in index order, so it is
        image ``#done``); it has no index to act on until the pack is reviewed."""
        item = QListWidgetItem(QIcon(to_pixmap(image, ICON)), f"#{done}\nscoring…")
        item.setToolTip("Still generating: re-roll and export once the pack is done.")
        self.addItem(item)

    def show_pack(self, pack: Pack) -> None:
        """Best first for a pack shown afresh; the same pack again is updated in place."""
        from studio.pipelines.headshots.frames import frame_of

        if pack.folder != self.folder:
            self.clear_images()
            self.folder = pack.folder
            self.set_frame(*frame_of(pack.settings))
        self.pack = pack  # the newest manifest: re-rolled images have new files
        rows = {self.item(r).data(INDEX): self.item(r) for r in range(self.count())}
        for im in pack.ranked():
            item = rows.pop(im.index, None)
            if item is None:  # new here: a pack shown afresh, or an image added since
                item = QListWidgetItem(QIcon(self._blank(bool(im.flags))), "")
                item.setData(INDEX, im.index)
                self.addItem(item)
            item.setData(FLAGGED, bool(im.flags))
            item.setData(BEFORE, im.before_face_detail if im.final else "")
        for gone in rows.values():  # no longer in the manifest
            self.takeItem(self.row(gone))
        self.refresh_icons(force_text=True)
        self.apply_filter()

    def showing_before(self, item: QListWidgetItem) -> bool:
        return self.compare and item.isSelected() and bool(item.data(BEFORE))

    def set_compare(self, on: bool) -> None:
        """Show the selected portraits before face detail (on) or as finished (off)."""
        self.compare = on
        self.refresh_icons()

    def selected_have_before(self) -> bool:
        return any(it.data(BEFORE) for it in self.selectedItems())

    def refresh_icons(self, force_text: bool = False) -> None:
        """Each tile's label and thumbnail for what it should show now: the before image,
        or the refined one (else the draft); only changed tiles are redrawn."""
        if self.pack is None:
            return
        images = {im.index: im for im in self.pack.images}
        for row in range(self.count()):
            item = self.item(row)
            im = images.get(item.data(INDEX))
            if im is None:
                continue
            before = self.showing_before(item)
            file = item.data(BEFORE) if before else (im.final or im.draft)
            key = f"{im.seed} {file}"
            if force_text or item.data(SHOWN) != key:
                self._describe(item, im, before)
            if item.data(SHOWN) != key:  # new, re-rolled, refined, or before/after
                item.setData(SHOWN, key)
                self._load_icon(self.pack.path(file), key)

    @staticmethod
    def _describe(item: QListWidgetItem, im: Any, before: bool = False) -> None:
        label = f"{number(im.index)} · id {score(im.id_score)}" + (" ★" if im.final else "")
        if before:  # in place of the score (the finished image's): no third line to cut
            label = f"{number(im.index)} ◐ before face detail"
        if im.flags:
            label += f"\n⚠ {flag_text(im.flags)}"
        item.setText(label)
        detail = "\nface detail: Show before compares" if item.data(BEFORE) else ""
        item.setToolTip(
            f"{number(im.index)}: seed {im.seed}\nidentity {score(im.id_score)}\n"
            f"sharpness {im.sharpness:.0f}\n{flag_text(im.flags) or 'not flagged'}{detail}"
        )

    def _load_icon(self, path: Path, key: str) -> None:
        def put(image: Any) -> None:
            if generation != self._generation:
                return
            pixmap = image if isinstance(image, QPixmap) else to_pixmap(image, ICON)
            self._icons[key] = pixmap
            for row in range(self.count()):
                item = self.item(row)
                if item.data(SHOWN) == key:
                    item.setIcon(QIcon(_badged(pixmap) if item.data(FLAGGED) else pixmap))
            # Qt (6.x) loses the first item's hit area when an item changes while another
            # row is hidden: it could not be clicked. A (coalesced) relayout restores it.
            self.scheduleDelayedItemsLayout()

        generation = self._generation
        if key in self._icons:
            put(self._icons[key])
            return
        self.workers.run(lambda: load_thumbnail(path, ICON), put)  # unreadable: stays blank

    def set_hide_flagged(self, hide: bool) -> None:
        self.hide_flagged = hide
        self.apply_filter()

    def apply_filter(self) -> None:
        for row in range(self.count()):
            item = self.item(row)
            hide = bool(item.data(FLAGGED)) and self.hide_flagged
            item.setHidden(hide)
            if hide:
                item.setSelected(False)  # nothing hidden is re-rolled or exported

    def visible_indices(self) -> list[int]:
        return [
            self.item(row).data(INDEX)
            for row in range(self.count())
            if not self.item(row).isHidden() and self.item(row).data(INDEX) is not None
        ]

    def selected_indices(self) -> list[int]:
        """Pack indices of the selected images (streamed drafts have none)."""
        return [it.data(INDEX) for it in self.selectedItems() if it.data(INDEX) is not None]

    def select_visible(self, how: str) -> None:
        """``"all"``, ``"none"`` or ``"invert"`` over the images shown (hidden ones stay out)."""
        for row in range(self.count()):
            item = self.item(row)
            if item.isHidden() or item.data(INDEX) is None:
                continue
            item.setSelected(how == "all" or (how == "invert" and not item.isSelected()))
