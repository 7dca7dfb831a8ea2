"""The main window: four workspaces, the jobs panel, status bar, menus; state persists.

The menus live in :mod:`~studio.ui.shell.menus`, the status bar in
:mod:`~studio.ui.shell.status`; workspaces take part in the menus through
:mod:`~studio.ui.shell.workspace_actions`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, SignalInstance
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QListWidget,
    QStackedWidget,
    QWidget,
)

from studio.core import paths
from studio.core.device import DeviceInfo
from studio.core.errors import format_size
from studio.core.gallery import default_gallery_path
from studio.core.settings import Settings
from studio.models.download import DownloadRequest
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.services.jobs import Job, Priority
from studio.ui.dialogs.about import AboutDialog
from studio.ui.dialogs.gallery import GalleryDialog
from studio.ui.dialogs.models import ModelsDialog
from studio.ui.dialogs.settings import SettingsDialog
from studio.ui.dialogs.welcome import WelcomeDialog
from studio.ui.shell.errors import show_error
from studio.ui.shell.jobs_panel import JobsPanel
from studio.ui.shell.menus import WindowMenus
from studio.ui.shell.model_offer import missing_model_box
from studio.ui.shell.open_paths import open_first_photo
from studio.ui.shell.quitting import QuitOnClose
from studio.ui.shell.recall import (
    ImageDrops,
    dropped_images,
    open_gallery_dialog,
    reuse_settings,
)
from studio.ui.shell.recent import RecentFiles
from studio.ui.shell.shortcuts_sheet import ShortcutsSheet, menu_shortcuts
from studio.ui.shell.status import StatusArea
from studio.ui.shell.theme_choice import apply_theme, store_theme, stored_theme
from studio.ui.widgets.toast import Toast
from studio.ui.widgets.wheel_guard import install_wheel_guard
from studio.ui.workspaces.canvas.workspace import CanvasWorkspace
from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace
from studio.ui.workspaces.lipsync.workspace import LipsyncWorkspace
from studio.ui.workspaces.live.workspace import LiveWorkspace

log = logging.getLogger(__name__)

NOTICE_MS = 8000  # a workspace's notice stays this long in the status bar

# (key, title, page class): the order of the navigation list
WORKSPACES: list[tuple[str, str, type[QWidget]]] = [
    ("canvas", "Canvas", CanvasWorkspace),
    ("headshots", "Headshots", HeadshotsWorkspace),
    ("lipsync", "Lipsync", LipsyncWorkspace),
    ("live", "Live", LiveWorkspace),
]


class MainWindow(QuitOnClose):
    """The window; closing it asks about running jobs, then stops the services without
    blocking the event loop and emits :attr:`closed` once they have stopped."""

    closed = Signal()  # the window has closed and both service threads have ended
    settings_reused = Signal(str, dict)  # a workspace took a result's settings again

    def __init__(
        self,
        settings: Settings,
        store: ModelStore,
        gpu: InferenceService,
        downloads: InferenceService,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Studio")
        self.resize(1280, 820)
        self.settings, self.store, self.gpu, self.downloads = settings, store, gpu, downloads
        self.device_info: DeviceInfo | None = None
        self._offered_models: set[str] = set()
        self.gallery_path = default_gallery_path()  # the index every workspace records into
        self.drops = ImageDrops(self)
        self.setAcceptDrops(True)  # an exported image dropped here: its settings, or the image
        self._init_quitting()
        install_wheel_guard()  # the wheel scrolls panels instead of editing their settings

        self.nav = QListWidget()
        self.nav.setObjectName("workspaceNav")
        self.nav.setFixedWidth(160)
        self.nav.setStyleSheet(
            "QListWidget { font-size: 15px; border: none; outline: 0;"
            " border-right: 1px solid palette(mid); background: palette(window); }"
            "QListWidget::item { padding: 12px 14px; }"
            "QListWidget::item:selected { background: palette(highlight); color: white; }"
        )
        self.pages = QStackedWidget()
        self.workspaces: dict[str, QWidget] = {}
        self._titles: dict[str, str] = {}
        for key, title, page_class in WORKSPACES:
            self.add_workspace(key, title, page_class(self.gpu, self.store))  # type: ignore[call-arg]
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self._link_workspaces()
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.toast = Toast(central)

        self.jobs_panel = JobsPanel([gpu, downloads])
        dock = QDockWidget("Jobs", self)
        dock.setObjectName("jobsDock")
        dock.setWidget(self.jobs_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.resizeDocks([dock], [150], Qt.Orientation.Vertical)  # the workspace gets the room
        self.jobs_dock = dock

        self.status = StatusArea(self.statusBar(), gpu, downloads)
        self.device_label = self.status.device_label
        self.vram_label = self.status.vram_label
        self.queue_label = self.status.queue_label
        self.recent = RecentFiles(self.qsettings, self)
        self.menus = WindowMenus(self)
        self.theme_name = stored_theme(settings, self.qsettings)
        self.menus.show_theme(self.theme_name)
        self.nav.currentRowChanged.connect(lambda _row: self.menus.refresh())
        gpu.device_ready.connect(self._on_device)
        for service in (gpu, downloads):  # bound methods: dropped when the window is deleted
            service.job_failed.connect(self._on_job_failed)
        downloads.job_finished.connect(self._on_download_finished)
        self._restore_state()

    # ---- workspaces --------------------------------------------------------------------------
    def _link_workspaces(self) -> None:
        """Live can send a frozen frame to the Canvas and stream the Canvas image, Headshots a
        portrait to the Canvas (the shell links them: the workspace packages never import
        each other)."""
        live, canvas = self.workspaces["live"], self.workspaces["canvas"]
        assert isinstance(live, LiveWorkspace) and isinstance(canvas, CanvasWorkspace)
        live.send_to_canvas.connect(lambda image: self.send_image_to_canvas(image, "Live frame"))
        live.set_canvas_source(canvas.current_image)
        # Headshots' "Open in Canvas" on a portrait (optional: older pages lack the signal).
        to_canvas = getattr(self.workspaces["headshots"], "open_in_canvas", None)
        if isinstance(to_canvas, SignalInstance):
            to_canvas.connect(lambda image: self.send_image_to_canvas(image, "Portrait"))

    def add_workspace(self, key: str, title: str, page: QWidget) -> None:
        """Add ``page`` to the navigation list and bind the optional signals of the menu
        contract (:mod:`~studio.ui.shell.workspace_actions`) where it has them."""
        page.setObjectName(f"workspace-{key}")
        self.workspaces[key], self._titles[key] = page, title
        self.pages.addWidget(page)
        self.nav.addItem(title)
        changed = getattr(page, "actions_changed", None)
        if isinstance(changed, SignalInstance):
            changed.connect(lambda: self._actions_changed(page))
        notify = getattr(page, "notify", None)
        if isinstance(notify, SignalInstance):
            notify.connect(self.show_notice)
        opened = getattr(page, "opened_file", None)
        if isinstance(opened, SignalInstance):
            opened.connect(lambda path: self.recent.add(key, path))

    def _actions_changed(self, page: QWidget) -> None:
        if page is self.current_workspace():
            self.menus.refresh()

    def current_workspace(self) -> QWidget:
        return self.pages.currentWidget()

    def workspace_title(self, key: str) -> str:
        return self._titles.get(key, key)

    def show_workspace(self, key: str) -> None:
        self.nav.setCurrentRow(list(self.workspaces).index(key))

    def show_notice(self, text: str) -> None:
        """A workspace's short message: a toast over the window and the status bar's text."""
        self.toast.show_message(text)
        self.statusBar().showMessage(text, NOTICE_MS)

    def send_image_to_canvas(self, image: object, name: str = "Live frame") -> None:
        """Open ``image`` (a PIL image, array or QImage; or a file's path) in the Canvas and
        show it."""
        canvas = self.workspaces["canvas"]
        assert isinstance(canvas, CanvasWorkspace)
        opened = (
            canvas.open_path(image)
            if isinstance(image, (str, Path))
            else canvas.open_image(image, name)
        )
        if opened:
            self.show_workspace("canvas")

    def open_paths(self, paths: list[Path]) -> bool:
        """Open photos given at start (``studio photo.png``) in the Canvas; True if one opened.
        The first that opens is shown; a box names every path not opened and why."""
        canvas = self.workspaces["canvas"]
        assert isinstance(canvas, CanvasWorkspace)
        opened, problems = open_first_photo(canvas.open_path, paths)
        if opened is not None:
            self.nav.setCurrentRow(0)
        if problems:
            self.open_problems_box = show_error(self, "\n".join(problems))
        return opened is not None

    def open_recent(self, key: str, path: Path) -> bool:
        """File > Open Recent: open ``path`` in the workspace that had it; a file no longer
        there is named in a box and dropped from the list."""
        if not path.is_file():
            self.recent.remove(str(path))
            self.open_problems_box = show_error(
                self, f"'{path.name}' is no longer in {path.parent}: removed from Open Recent."
            )
            return False
        page = self.workspaces.get(key, self.workspaces["canvas"])
        opener = getattr(page, "open_path", None)
        if not callable(opener):
            return False
        self.show_workspace(key if key in self.workspaces else "canvas")
        return bool(opener(path))

    def set_theme(self, name: str) -> str:
        """Apply and remember the theme ``name`` ("dark", "light", "system")."""
        self.theme_name = apply_theme(name)
        store_theme(self.settings, self.qsettings, name)
        self.menus.show_theme(name)  # apply_theme redraws the icons in the new palette
        return self.theme_name

    def reuse_settings(self, key: str, settings: dict[str, Any]) -> bool:
        """Give workspace ``key`` a result's settings again (its optional ``apply_settings``);
        a box says so when it cannot take them. True when applied."""
        return reuse_settings(self, key, settings)

    # ---- drops: an exported image's settings, or the image -----------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if dropped_images(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        if dropped_images(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        images = dropped_images(event.mimeData())
        if images:
            event.acceptProposedAction()
            self.drops.drop(images[0])  # read on a worker; a box offers to reuse them

    # ---- dialogs -----------------------------------------------------------------------------
    def open_gallery(self) -> GalleryDialog | None:
        """File > Gallery: earlier results, per workspace, searchable; modeless, so the
        window behind it shows what "Open in Canvas" or "Use These Settings Again" did."""
        dialog = open_gallery_dialog(self, self._titles, getattr(self, "gallery_dialog", None))
        if dialog is not None:
            self.gallery_dialog = dialog
        return dialog

    def open_models(self, select: str = "") -> ModelsDialog:
        dialog = ModelsDialog(self.store, self.downloads, self)
        if select:
            dialog.select(select)
        dialog.open()
        self.models_dialog = dialog
        return dialog

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self, theme=self.menus.checked_theme())

        def apply() -> None:
            self.settings = dialog.result_settings()
            self.settings.save()
            budget = int(self.settings.vram_budget_gb * 1e9)
            if not budget and self.device_info is not None and self.device_info.total_bytes:
                budget = int(self.device_info.total_bytes * 0.8)
            self.gpu.set_cache_budget(budget)  # evictions happen on the device thread
            self.gpu.memory_plan = self.settings.memory_plan  # read as each job starts
            if dialog.theme_choice() != self.menus.checked_theme():
                self.set_theme(dialog.theme_choice())
            self.update_status()

        dialog.accepted.connect(apply)
        dialog.open()
        return dialog

    def open_welcome(self) -> WelcomeDialog:  # the card, what runs on it, the downloads
        dialog = WelcomeDialog(self.settings, self.store, self.downloads, self.device_info, self)
        dialog.open()
        self.welcome_dialog = dialog
        return dialog

    def open_about(self) -> AboutDialog:
        dialog = AboutDialog(self.store.catalogue, self)
        dialog.open()
        return dialog

    def open_shortcuts(self) -> ShortcutsSheet:
        """The keys of the menus and of the current workspace (its ``shortcut_list``)."""
        groups = menu_shortcuts(self.menuBar())
        page = self.current_workspace()
        listing = getattr(page, "shortcut_list", None)
        if callable(listing):
            rows = [(what, keys) for keys, what in listing()]
            if rows:
                groups.append((self.nav.currentItem().text(), rows))
        dialog = ShortcutsSheet(groups, self)
        dialog.open()
        self.shortcuts_sheet = dialog
        return dialog

    # ---- status and job outcomes -------------------------------------------------------------
    def update_status(self) -> None:
        self.status.refresh()

    def _on_device(self, info: DeviceInfo) -> None:
        self.device_info = info
        self.status.show_device(info)
        welcome = getattr(self, "welcome_dialog", None)
        if welcome is not None and welcome.isVisible():
            welcome.set_device(info)  # opened from Help before the device was known
        elif not self.settings.welcomed:
            self.open_welcome()  # the first start

    def _on_job_failed(self, job: Job, message: str, detail: str) -> None:
        if job.kind == "models.download":
            self._offered_models.discard(getattr(job.request, "model_id", ""))
        if job.missing_model:
            ids = [
                i
                for i in (job.missing_models or [job.missing_model])
                if i not in self._offered_models
            ]
            if not ids:
                return  # one question per model while it is open or downloading
            self._offered_models.update(ids)
            box = missing_model_box(self, message, [self.store.catalogue.get(i) for i in ids])
            box.accepted.connect(lambda: [self.download_model(i) for i in ids])
            box.rejected.connect(lambda: self._offered_models.difference_update(ids))
            box.open()
            self.missing_model_box = box
            return
        # The service logs the failure; show_error logs the detail this box shows with it.
        self.last_error_box = show_error(self, message, detail)

    def download_model(self, model_id: str) -> Job:
        """Queue a download, or return the one already queued or running for this model."""
        for job in self.downloads.jobs.values():
            if not job.state.done and getattr(job.request, "model_id", None) == model_id:
                return job
        entry = self.store.catalogue.get(model_id)
        return self.downloads.submit(
            "models.download",
            DownloadRequest(model_id),
            Priority.NORMAL,
            f"Download {entry.name} ({format_size(entry.size_bytes)})",
        )

    def _on_download_finished(self, job: Job, _result: object) -> None:
        self._offered_models.discard(getattr(job.request, "model_id", ""))
        self.show_notice(f"{job.title}: done")

    # ---- state -------------------------------------------------------------------------------
    @staticmethod
    def qsettings() -> QSettings:
        path = paths.config_dir() / "window.ini"
        return QSettings(str(path), QSettings.Format.IniFormat)

    def _restore_state(self) -> None:
        state = self.qsettings()
        geometry = state.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        window_state = state.value("state")
        if isinstance(window_state, QByteArray):
            self.restoreState(window_state)
        self.nav.setCurrentRow(int(state.value("workspace", 0)))

    def save_state(self) -> None:
        state = self.qsettings()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("state", self.saveState())
        state.setValue("workspace", self.nav.currentRow())
        state.sync()
