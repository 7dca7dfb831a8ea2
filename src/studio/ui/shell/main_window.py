"""The main window: four workspaces, the jobs panel, status bar, menus; state persists."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from studio.core import paths
from studio.core.device import DeviceInfo
from studio.core.errors import format_size
from studio.core.settings import Settings
from studio.models.download import DownloadRequest
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.services.jobs import Job, Priority
from studio.ui.dialogs.about import AboutDialog
from studio.ui.dialogs.models import ModelsDialog
from studio.ui.dialogs.settings import SettingsDialog
from studio.ui.dialogs.welcome import WelcomeDialog
from studio.ui.shell.errors import show_error
from studio.ui.shell.jobs_panel import JobsPanel
from studio.ui.shell.open_paths import open_first_photo
from studio.ui.shell.quit_prompt import quit_box, unfinished_jobs
from studio.ui.widgets.wheel_guard import install_wheel_guard
from studio.ui.workspaces.canvas.workspace import CanvasWorkspace
from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace
from studio.ui.workspaces.lipsync.workspace import LipsyncWorkspace
from studio.ui.workspaces.live.workspace import LiveWorkspace

log = logging.getLogger(__name__)

IDLE_STOP_WAIT_S = 0.05  # per service, on quitting: long enough for an idle thread to end

# (key, title, page class): the order of the navigation list
WORKSPACES: list[tuple[str, str, type[QWidget]]] = [
    ("canvas", "Canvas", CanvasWorkspace),
    ("headshots", "Headshots", HeadshotsWorkspace),
    ("lipsync", "Lipsync", LipsyncWorkspace),
    ("live", "Live", LiveWorkspace),
]


class MainWindow(QMainWindow):
    """The window; closing it asks about running jobs, then stops the services without
    blocking the event loop and emits :attr:`closed` once they have stopped."""

    closed = Signal()  # the window has closed and both service threads have ended

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
        self._quit_confirmed = False  # the user said "cancel the jobs and quit"
        self._stopping = False  # services told to stop; the window is hidden, waiting
        self._closed_emitted = False
        self.quit_box: QMessageBox | None = None
        self._stop_poll = QTimer(self, interval=50, timeout=self._finish_quit)
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
        for key, title, page_class in WORKSPACES:
            page = page_class(self.gpu, self.store)  # type: ignore[call-arg]
            page.setObjectName(f"workspace-{key}")
            self.workspaces[key] = page
            self.pages.addWidget(page)
            self.nav.addItem(title)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self._link_workspaces()
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.jobs_panel = JobsPanel([gpu, downloads])
        dock = QDockWidget("Jobs", self)
        dock.setObjectName("jobsDock")
        dock.setWidget(self.jobs_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.resizeDocks([dock], [150], Qt.Orientation.Vertical)  # the workspace gets the room
        self.jobs_dock = dock

        self.device_label = QLabel("Device: starting…")
        self.vram_label = QLabel()
        self.vram_label.setToolTip(
            "Memory held by the models kept loaded between jobs, measured after each load"
            " (weights and cached features), against the budget set in Settings."
        )
        self.queue_label = QLabel()
        for label in (self.device_label, self.vram_label, self.queue_label):
            self.statusBar().addPermanentWidget(label)
        self._status_timer = QTimer(self, interval=1000, timeout=self.update_status)
        self._status_timer.start()

        self._build_menus(dock)
        gpu.device_ready.connect(self._on_device)
        for service in (gpu, downloads):  # bound methods: dropped when the window is deleted
            service.job_failed.connect(self._on_job_failed)
            service.job_queued.connect(self._on_job_queued)
            service.job_finished.connect(self._on_job_finished)
        downloads.job_finished.connect(self._on_download_finished)
        self._restore_state()
        self.update_status()

    # ---- construction ------------------------------------------------------------------------
    def _link_workspaces(self) -> None:
        """Live can send a frozen frame to the Canvas and stream the Canvas image (the shell
        links them: the workspace packages never import each other)."""
        live, canvas = self.workspaces["live"], self.workspaces["canvas"]
        assert isinstance(live, LiveWorkspace) and isinstance(canvas, CanvasWorkspace)
        live.send_to_canvas.connect(self.send_image_to_canvas)
        live.set_canvas_source(canvas.current_image)

    def send_image_to_canvas(self, image: object) -> None:
        canvas = self.workspaces["canvas"]
        assert isinstance(canvas, CanvasWorkspace)
        if canvas.open_image(image, "Live frame"):
            self.nav.setCurrentRow(0)

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

    def _build_menus(self, dock: QDockWidget) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut="Ctrl+Q", triggered=self.close)
        file_menu.addAction(quit_action)
        tools = self.menuBar().addMenu("&Tools")
        self.models_action = QAction("&Models…", self, triggered=lambda: self.open_models())
        self.settings_action = QAction("&Settings…", self, triggered=self.open_settings)
        tools.addAction(self.models_action)
        tools.addAction(self.settings_action)
        view = self.menuBar().addMenu("&View")
        view.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(QAction("&Welcome…", self, triggered=lambda: self.open_welcome()))
        help_menu.addAction(QAction("&About Studio", self, triggered=self.open_about))

    # ---- dialogs -----------------------------------------------------------------------------
    def open_models(self, select: str = "") -> ModelsDialog:
        dialog = ModelsDialog(self.store, self.downloads, self)
        if select:
            dialog.select(select)
        dialog.open()
        self.models_dialog = dialog
        return dialog

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self)

        def apply() -> None:
            self.settings = dialog.result_settings()
            self.settings.save()
            budget = int(self.settings.vram_budget_gb * 1e9)
            if not budget and self.device_info is not None and self.device_info.total_bytes:
                budget = int(self.device_info.total_bytes * 0.8)
            self.gpu.set_cache_budget(budget)  # evictions happen on the device thread
            self.gpu.memory_plan = self.settings.memory_plan  # read as each job starts
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

    # ---- status ------------------------------------------------------------------------------
    def update_status(self) -> None:
        used, budget = self.gpu.vram_status()  # sizes the cache measured after each load
        limit = format_size(budget) if budget else "no limit"
        text = f"Warm models (measured): {format_size(used)} / {limit}"
        if self.device_info is not None and self.device_info.is_cuda:
            reserved = self.gpu.memory_reserved()  # sampled on the device thread
            text = f"VRAM used: {format_size(reserved)} · " + text
        self.vram_label.setText(text)
        waiting = self.gpu.queue_depth() + self.downloads.queue_depth()
        running = len(self.gpu.running_jobs()) + len(self.downloads.running_jobs())
        self.queue_label.setText(f"Jobs: {running} running, {waiting} queued")

    def _on_device(self, info: DeviceInfo) -> None:
        self.device_info = info
        text = f"Device: {info.name}"
        if info.total_bytes:
            text += f" ({format_size(info.total_bytes)})"
        self.device_label.setText(text)
        if info.warning:
            self.device_label.setStyleSheet("color: #c0392b")
            self.device_label.setToolTip(info.warning)
            self.statusBar().showMessage(info.warning, 15000)
        self.update_status()
        welcome = getattr(self, "welcome_dialog", None)
        if welcome is not None and welcome.isVisible():
            welcome.set_device(info)  # opened from Help before the device was known
        elif not self.settings.welcomed:
            self.open_welcome()  # the first start

    # ---- job outcomes ------------------------------------------------------------------------
    def _on_job_queued(self, _job: Job) -> None:
        self.update_status()

    def _on_job_finished(self, _job: Job, _result: object) -> None:
        self.update_status()

    def _on_job_failed(self, job: Job, message: str, detail: str) -> None:
        self.update_status()
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
            entries = [self.store.catalogue.get(i) for i in ids]
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Model needed",
                message,
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                self,
            )
            box.setObjectName("missingModelBox")
            listing = "; ".join(
                f"{e.name} ({format_size(e.size_bytes)}, licence: {e.licence})" for e in entries
            )
            box.setInformativeText(f"Download now? {listing}.")
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
        self.statusBar().showMessage(f"{job.title}: done", 8000)

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

    # ---- closing -----------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Ask about running jobs and unsaved work, then quit without freezing the window.

        Quitting hides the window at once and tells both services to stop (cancelling their
        jobs). Idle threads end at once and the window closes now; a job still busy until its
        next cancel point is waited for from a timer, so the event loop keeps running. The
        close completes, and :attr:`closed` is emitted, once both threads have ended: a
        running QThread is never destroyed.
        """
        if not self._stopping:
            event.ignore()
            running, queued = unfinished_jobs(self.gpu, self.downloads)
            if (running or queued) and not self._quit_confirmed:
                self._ask_to_quit(running, queued)
                return
            self._quit_confirmed = False
            for page in self.workspaces.values():
                if hasattr(page, "can_close") and not page.can_close():
                    return
            self._begin_quit()
        if not self._services_stopped():
            event.ignore()  # _finish_quit closes again once they have
            return
        self._stop_poll.stop()
        event.accept()
        super().closeEvent(event)
        if not self._closed_emitted:
            self._closed_emitted = True
            self.closed.emit()

    def _ask_to_quit(self, running: list[Job], queued: list[Job]) -> None:
        if self.quit_box is not None:
            self.quit_box.raise_()
            return
        box, quit_button, keep = quit_box(self, running, queued)
        self.quit_box, self.quit_button, self.keep_working_button = box, quit_button, keep

        def answered() -> None:
            self.quit_box = None
            if box.clickedButton() is quit_button:
                self._quit_confirmed = True
                self.close()

        box.finished.connect(lambda _result: answered())
        box.open()

    def _begin_quit(self) -> None:
        self._stopping = True
        self.save_state()
        self._status_timer.stop()
        self.hide()
        services = (self.gpu, self.downloads)
        for service in services:
            service.begin_shutdown()  # returns at once; running jobs stop at their next step
        # A moment for idle threads, which end as soon as their queue closes; a busy one
        # is polled from the event loop instead of blocking it.
        for service in services:
            service.shutdown(timeout_s=IDLE_STOP_WAIT_S)
        if not self._services_stopped():
            log.info("waiting for running jobs to reach a cancel point before quitting")
            self._stop_poll.start()

    def _services_stopped(self) -> bool:
        return all(service.is_stopped() for service in (self.gpu, self.downloads))

    def _finish_quit(self) -> None:
        if self._services_stopped():
            self._stop_poll.stop()
            self.close()
