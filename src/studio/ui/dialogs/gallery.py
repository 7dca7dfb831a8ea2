"""The Gallery dialog (File > Gallery…): every result Studio remembers, per workspace.

Tabs pick the workspace (or all), the search box keeps results whose prompt has every word
typed; thumbnails are decoded on an I/O worker. The details pane shows what made the selected
result. The dialog knows no workspace: "Use these settings again" and "Open in Canvas" are
signals the main window answers (:meth:`MainWindow.reuse_settings`,
:meth:`MainWindow.send_image_to_canvas`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTabBar,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.core.gallery import Gallery, GalleryEntry
from studio.ui.dialogs.gallery_details import details_html, image_outputs, item_label
from studio.ui.widgets.icons import icon, set_icon
from studio.ui.widgets.images import load_thumbnail
from studio.ui.widgets.theme import tone_colour
from studio.ui.widgets.worker import IoWorkers

log = logging.getLogger(__name__)

THUMB = 120  # logical px of a thumbnail
LIMIT = 500  # results listed at once (newest first)
# What puts a result in the gallery, per workspace: an empty tab says it, so a user who has
# just run a job there (Canvas records exports, not each edit) knows what to do.
HOW_RESULTS_ARRIVE = {
    "canvas": "an image appears here once you export it (File → Export)",
    "headshots": "a pack appears here once it has been generated",
    "lipsync": "a video appears here once it has rendered",
    "live": "a frame appears here once you save a frozen frame",
}


class GalleryDialog(QDialog):
    """Browse, search and reuse earlier results. ``titles`` maps workspace keys to the
    names on the tabs (in their order)."""

    reuse_requested = Signal(str, dict)  # workspace key, the settings that made the result
    open_in_canvas_requested = Signal(str)  # an image file's path
    thumbnails_loaded = Signal()  # every thumbnail of the list on show is decoded
    forgotten = Signal(list)  # the ids Forget Missing Files dropped

    def __init__(
        self, gallery: Gallery, titles: dict[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Gallery")
        self.setObjectName("galleryDialog")
        self.resize(1040, 640)
        self.gallery, self.titles = gallery, dict(titles)
        self.tabs = QTabBar()
        self.tabs.setObjectName("galleryTabs")
        self.tabs.setExpanding(False)  # tabs as wide as their names, like a browser's
        self._tab_keys: list[str | None] = [None, *self.titles]
        labels = ["&All", *(_tab_label(t) for t in self.titles.values())]
        for label in labels:
            self.tabs.addTab(label)
        self.tabs.currentChanged.connect(lambda _index: self.refresh())
        self.search = QLineEdit()
        self.search.setObjectName("gallerySearch")
        self.search.setPlaceholderText("Words of the prompt")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self.search.textChanged.connect(lambda _text: self.refresh())
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)

        self.list = QListWidget()
        self.list.setObjectName("galleryList")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 36, THUMB + 48))
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        self.list.currentItemChanged.connect(lambda *_items: self._show_details())
        # Double-click or Enter on a picture: edit it in the Canvas.
        self.list.itemActivated.connect(lambda _item: self.open_selected_in_canvas())
        self.empty = QLabel()
        self.empty.setObjectName("galleryEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.details = QTextBrowser()
        self.details.setObjectName("galleryDetails")
        self.details.setOpenLinks(False)

        self.reuse_button = QPushButton("&Use These Settings Again")
        self.canvas_button = QPushButton("&Open in Canvas")
        self.folder_button = QPushButton("Show in &Folder")
        self.forget_button = QPushButton("Forget &Missing Files")
        self.close_button = QPushButton("&Close")
        for button, name in (
            (self.reuse_button, "mdi6.restore"),
            (self.canvas_button, "mdi6.image-edit-outline"),
            (self.folder_button, "mdi6.folder-outline"),
            (self.forget_button, "mdi6.broom"),
        ):
            set_icon(button, name)
        self.reuse_button.clicked.connect(lambda: self.reuse_selected())
        self.canvas_button.clicked.connect(lambda: self.open_selected_in_canvas())
        self.folder_button.clicked.connect(lambda: self.show_selected_in_folder())
        self.forget_button.clicked.connect(lambda: self.forget_missing())
        self.close_button.clicked.connect(self.reject)
        self.status = QLabel()
        self.status.setObjectName("galleryStatus")

        top = QHBoxLayout()
        top.addWidget(self.tabs)
        top.addStretch(1)
        top.addWidget(search_label)
        top.addWidget(self.search)
        browse = QWidget()
        column = QVBoxLayout(browse)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.list, 1)
        column.addWidget(self.empty, 1)
        side = QWidget()
        side_column = QVBoxLayout(side)
        side_column.setContentsMargins(0, 0, 0, 0)
        side_column.addWidget(self.details, 1)
        for button in (self.reuse_button, self.canvas_button, self.folder_button):
            side_column.addWidget(button)
        split = QSplitter()
        split.addWidget(browse)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.forget_button)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)

        self.thumbs = IoWorkers(self, max_threads=2)
        self._thumb_cache: dict[str, QImage] = {}
        self._pending_thumbs = 0
        self._generation = 0  # a refresh makes older thumbnail results stale
        self._forgetting = False
        self.entries: list[GalleryEntry] = []
        self.refresh()

    # ---- listing -------------------------------------------------------------------------------
    def workspace(self) -> str | None:
        """The workspace key of the tab on show (None: all)."""
        return self._tab_keys[max(0, self.tabs.currentIndex())]

    def show_workspace(self, key: str | None) -> None:
        self.tabs.setCurrentIndex(self._tab_keys.index(key) if key in self._tab_keys else 0)

    def refresh(self) -> None:
        """List the results of the tab on show that match the search, newest first."""
        words, workspace = self.search.text().strip(), self.workspace()
        try:
            self.entries = self.gallery.search(words, workspace, limit=LIMIT)
        except Exception as exc:  # a damaged index: say so, keep the dialog usable
            log.error("reading the gallery failed", exc_info=exc)
            self.entries = []
            self.status.setText(f"The gallery could not be read: {exc}")
        self._generation += 1
        self.list.clear()
        for entry in self.entries:
            item = QListWidgetItem(self._placeholder(entry), item_label(entry))
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            item.setToolTip(entry.prompt or entry.kind)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.list.addItem(item)
        self._load_thumbnails()
        has = bool(self.entries)
        self.list.setVisible(has)
        self.empty.setVisible(not has)
        where = self.titles.get(workspace or "", "")
        if words:
            self.empty.setText(f"No results whose prompt has “{words}”.")
        else:
            self.empty.setText(_empty_text(where, HOW_RESULTS_ARRIVE.get(workspace or "")))
        if has:
            self.list.setCurrentRow(0)
        self._show_details()

    def _placeholder(self, entry: GalleryEntry) -> QIcon:
        images = image_outputs(entry)
        if not any(Path(p).exists() for p in entry.outputs):
            return icon("mdi6.image-off-outline")  # nothing left to show
        return icon("mdi6.image-outline" if images else "mdi6.movie-open-outline")

    def _load_thumbnails(self) -> None:
        """Decode each listed image's thumbnail on the worker (once per file)."""
        generation, dpr = self._generation, self.devicePixelRatioF()
        self._pending_thumbs = 0
        for row, entry in enumerate(self.entries):
            images = [p for p in image_outputs(entry) if Path(p).exists()]
            if not images:
                continue
            path = images[0]
            if path in self._thumb_cache:
                self._set_thumb(row, self._thumb_cache[path])
                continue
            self._pending_thumbs += 1
            self.thumbs.run(
                lambda p=path: load_thumbnail(p, THUMB, dpr=dpr),
                lambda image, r=row, p=path: self._thumb_done(generation, r, p, image),
                lambda exc, p=path: self._thumb_failed(generation, p, exc),
            )
        if not self._pending_thumbs:
            self.thumbnails_loaded.emit()

    def _thumb_done(self, generation: int, row: int, path: str, image: QImage) -> None:
        self._thumb_cache[path] = image
        if generation == self._generation:
            self._set_thumb(row, image)
            self._one_thumb_less()

    def _thumb_failed(self, generation: int, path: str, exc: BaseException) -> None:
        log.warning("no thumbnail for %s: %s", path, exc)
        if generation == self._generation:
            self._one_thumb_less()

    def _one_thumb_less(self) -> None:
        self._pending_thumbs -= 1
        if self._pending_thumbs == 0:
            self.thumbnails_loaded.emit()

    def _set_thumb(self, row: int, image: QImage) -> None:
        item = self.list.item(row)
        if item is not None:
            item.setIcon(QIcon(QPixmap.fromImage(image)))

    # ---- the selected result -------------------------------------------------------------------
    def selected(self) -> GalleryEntry | None:
        item = self.list.currentItem()
        if item is None:
            return None
        entry_id = item.data(Qt.ItemDataRole.UserRole)
        return next((e for e in self.entries if e.id == entry_id), None)

    def select(self, entry_id: int) -> bool:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == entry_id:
                self.list.setCurrentRow(row)
                return True
        return False

    def _show_details(self) -> None:
        entry = self.selected()
        if entry is None:
            self.details.setHtml("<i>Select a result to see what made it.</i>")
        else:
            title = self.titles.get(entry.workspace, entry.workspace)
            self.details.setHtml(details_html(entry, title, tone_colour("error").name()))
        existing = [] if entry is None else [p for p in entry.outputs if Path(p).exists()]
        images = [] if entry is None else [p for p in image_outputs(entry) if Path(p).exists()]
        self.reuse_button.setEnabled(entry is not None and bool(entry.settings))
        self.canvas_button.setEnabled(bool(images))
        self.folder_button.setEnabled(bool(existing))

    def reuse_selected(self) -> None:
        """Ask the window to give the result's workspace these settings again."""
        entry = self.selected()
        if entry is not None:
            settings = {"prompt": entry.prompt, **entry.settings}
            if entry.seed is not None:
                settings.setdefault("seed", entry.seed)
            self.reuse_requested.emit(entry.workspace, settings)

    def open_selected_in_canvas(self) -> None:
        entry = self.selected()
        images = [] if entry is None else [p for p in image_outputs(entry) if Path(p).exists()]
        if images:
            self.open_in_canvas_requested.emit(images[0])

    def show_selected_in_folder(self) -> bool:
        """Open the folder of the result's first file in the desktop's file manager."""
        entry = self.selected()
        existing = [] if entry is None else [p for p in entry.outputs if Path(p).exists()]
        if not existing:
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(existing[0]).parent)))

    def forget_missing(self) -> None:
        """Drop the results none of whose files exist any more (the files of the others
        stay), on the worker: every result's files are looked for. ``forgotten`` follows."""
        if self._forgetting:
            return
        self._forgetting = True
        self.forget_button.setEnabled(False)
        self.status.setText("Looking for results whose files are gone…")
        self.thumbs.run(self.gallery.delete_missing, self._forgot, self._forget_failed)

    def _forgot(self, gone: list[int]) -> None:
        self._forgetting = False
        self.forget_button.setEnabled(True)
        self.status.setText(
            f"Forgot {len(gone)} result(s) whose files are gone."
            if gone
            else "Every result's files are still there."
        )
        self.refresh()
        self.forgotten.emit(gone)

    def _forget_failed(self, exc: BaseException) -> None:
        log.error("forgetting missing results failed", exc_info=exc)
        self._forgetting = False
        self.forget_button.setEnabled(True)
        self.status.setText(f"The gallery could not be changed: {exc}")


def _empty_text(where: str, how: str | None) -> str:
    if not where:
        return (
            "Nothing made yet: exported Canvas images, headshot packs, lipsync videos and "
            "saved Live frames appear here."
        )
    return f"Nothing made in {where} yet: {how}." if how else f"Nothing made in {where} yet."


def _tab_label(title: str) -> str:
    """The tab's title with an Alt letter that the other tabs and buttons do not use."""
    letters = {
        "Canvas": "Ca&nvas",
        "Headshots": "&Headshots",
        "Lipsync": "&Lipsync",
        "Live": "Li&ve",
    }
    return letters.get(title, title)
