"""Starting the GUI: logging, settings, store, the two service threads, the main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from studio.core.logs import setup_logging
from studio.core.settings import Settings
from studio.models.download import run_download
from studio.models.store import ModelStore

log = logging.getLogger(__name__)


def create_services(settings: Settings, store: ModelStore):  # type: ignore[no-untyped-def]
    """The GPU service (every pipeline) and an I/O service for downloads, so a download
    never holds up a click on the canvas. With Settings -> Compute on a Studio server, the
    GPU service sends its jobs there (same signals, same jobs panel) and loads no model."""
    from studio.services.inference import InferenceService

    runners, describe = None, None
    if settings.uses_server:
        from studio.remote.cli_support import remote_workspace_jobs

        url, token = settings.server_url.strip().rstrip("/"), settings.server_token.strip()
        try:
            runners = remote_workspace_jobs(url, token)
            describe = lambda: server_device(url, token)  # noqa: E731 - on the device thread
        except ImportError as exc:  # httpx / websockets: the [server] extra is not installed
            log.warning("no Studio server support (%s); jobs run on this computer", exc)
            describe = lambda: no_server_client(settings.device)  # noqa: E731
    gpu = InferenceService(
        store,
        device=settings.device,
        vram_budget_bytes=int(settings.vram_budget_gb * 1e9),
        memory_plan=settings.memory_plan,
        runners=runners,
        describe_device=describe,
    )
    downloads = InferenceService(
        store, device="none", runners={"models.download": run_download}, name="downloads"
    )
    return gpu, downloads


def no_server_client(device: str):  # type: ignore[no-untyped-def]
    """This computer's device, with a warning: Settings ask for a server it cannot reach."""
    import dataclasses

    from studio.core.device import resolve_device

    warning = (
        "Settings ask for a Studio server, but its client is not installed "
        "(pip install 'studio[server]'): jobs run on this computer."
    )
    return dataclasses.replace(resolve_device(device), warning=warning)


def server_device(url: str, token: str):  # type: ignore[no-untyped-def]
    """The status bar's device when jobs run on a server: "Server: URL" and the device its
    ``/health`` names, or a warning when it cannot be reached now (jobs then say why)."""
    from studio.core.device import DeviceInfo
    from studio.core.errors import StudioError
    from studio.remote.cli_support import check_server

    try:
        health = check_server(url, token)
    except StudioError as exc:
        return DeviceInfo("cpu", f"Server: {url}", warning=exc.user_message)
    return DeviceInfo("cpu", f"Server: {url} ({health.get('device', '?')})")


def create_main_window(settings: Settings | None = None, store: ModelStore | None = None):  # type: ignore[no-untyped-def]
    import numpy  # noqa: F401 - see below

    from studio.services.headless import default_store
    from studio.ui.shell.main_window import MainWindow

    # numpy is imported here, on the GUI thread, before any I/O worker starts: a worker's
    # first numpy import racing QtMultimedia's plugin load on the GUI thread deadlocked the
    # window's build (two native loads at once, seen in the tests).
    settings = settings or Settings.load()
    store = store or default_store(settings)  # the catalogue plus the models you imported
    gpu, downloads = create_services(settings, store)
    window = MainWindow(settings, store, gpu, downloads)
    gpu.start()
    downloads.start()
    return window


def _app_icon():  # type: ignore[no-untyped-def]
    from importlib.resources import files

    from PySide6.QtGui import QIcon

    return QIcon(str(files("studio.resources") / "icons" / "studio.png"))


def create_application():  # type: ignore[no-untyped-def]
    """The QApplication, high-DPI ready: at 150 % or 200 % desktop scaling Qt scales by the
    exact factor (not rounded to 1 or 2), so the window has the size the desktop asks for,
    and text and icons are drawn at the screen's resolution."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    # Only takes effect before the application exists.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    return QApplication(sys.argv[:1])


def build_gui(open_paths: list[Path] | None = None):  # type: ignore[no-untyped-def]
    """The application and its main window, shown, with ``open_paths`` opened in the Canvas;
    everything :func:`run_gui` does short of entering the event loop."""
    from PySide6.QtWidgets import QApplication

    from studio.ui.shell.errors import install_excepthook
    from studio.ui.widgets.theme import apply_theme

    path = setup_logging()
    log.info("Studio starting; log at %s", path)
    app = QApplication.instance() or create_application()
    app.setApplicationName("Studio")
    app.setDesktopFileName("studio")  # matches the installer's desktop entry (Wayland icon)
    app.setWindowIcon(_app_icon())
    settings = Settings.load()
    log.info("theme %s (%s)", settings.theme, apply_theme(app, settings.theme))
    window = create_main_window(settings)
    install_excepthook(lambda: window)
    # Quit when the window has finished closing (its service threads ended), not when it
    # is hidden while they stop.
    app.setQuitOnLastWindowClosed(False)
    window.closed.connect(app.quit)
    window.show()
    if open_paths:
        window.open_paths(list(open_paths))
    return app, window


def run_gui(open_paths: list[Path] | None = None) -> int:
    """Open the window (with ``open_paths`` in the Canvas, e.g. ``studio photo.png``) and run
    until it is closed; the exit status."""
    app, _window = build_gui(open_paths)
    return int(app.exec())
