"""Starting the GUI: logging, settings, store, the two service threads, the main window."""

from __future__ import annotations

import logging
import sys

from studio.core.logs import setup_logging
from studio.core.settings import Settings
from studio.models.catalogue import load_catalogue
from studio.models.download import run_download
from studio.models.store import ModelStore

log = logging.getLogger(__name__)


def create_services(settings: Settings, store: ModelStore):  # type: ignore[no-untyped-def]
    """The GPU service (every pipeline) and an I/O service for downloads, so a download
    never holds up a click on the canvas."""
    from studio.services.inference import InferenceService

    gpu = InferenceService(
        store, device=settings.device, vram_budget_bytes=int(settings.vram_budget_gb * 1e9)
    )
    downloads = InferenceService(
        store, device="none", runners={"models.download": run_download}, name="downloads"
    )
    return gpu, downloads


def create_main_window(settings: Settings | None = None, store: ModelStore | None = None):  # type: ignore[no-untyped-def]
    from studio.ui.shell.main_window import MainWindow

    settings = settings or Settings.load()
    store = store or ModelStore(settings.resolved_models_dir(), load_catalogue())
    gpu, downloads = create_services(settings, store)
    window = MainWindow(settings, store, gpu, downloads)
    gpu.start()
    downloads.start()
    return window


def run_gui() -> int:
    from PySide6.QtWidgets import QApplication

    from studio.ui.shell.errors import install_excepthook

    path = setup_logging()
    log.info("Studio starting; log at %s", path)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Studio")
    window = create_main_window()
    install_excepthook(lambda: window)
    window.show()
    return int(app.exec())
