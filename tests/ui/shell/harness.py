"""The main window over real services with small stand-in runners, and how to close it."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from studio.core.settings import Settings
from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.ui.shell.main_window import MainWindow


def steps(request, ctx):
    for i in range(request["n"]):
        ctx.check()
        request.get("gate", threading.Event()).wait(request.get("wait", 0))
        ctx.progress("Working", i + 1, request["n"])
    return "done"


def fails(request, ctx):
    from studio.core.errors import BadInput

    raise BadInput("The file is not an image.", "cannot identify image file 'x.txt'")


def needs_model(request, ctx):
    ctx.store.require("sam-vit-b")


def _fetch(request, ctx):  # downloads: a stand-in that installs a file through the store
    staged = ctx.store.staging_dir(request.model_id)
    (staged / "weights.bin").write_bytes(b"x")
    return ctx.store.commit(request.model_id, staged, {"weights.bin": "0"})


@pytest.fixture
def window(qtbot, tmp_path):
    store = ModelStore(tmp_path / "models", load_catalogue())
    gpu = InferenceService(
        store, device="cpu", runners={"t.steps": steps, "t.model": needs_model, "t.fail": fails}
    )
    downloads = InferenceService(
        store, device="none", runners={"models.download": _fetch}, name="downloads"
    )
    # Not qtbot.addWidget: closing waits for the services, so the fixture closes it itself.
    win = MainWindow(Settings(welcomed=True), store, gpu, downloads)
    with qtbot.waitSignal(gpu.device_ready, timeout=30000):
        gpu.start()
    downloads.start()
    win.show()
    yield win
    close_and_wait(qtbot, win)


def close_and_wait(qtbot, win) -> None:
    """Close as a user would (answering the quit prompt if one comes), then wait until the
    window has closed and both service threads have ended."""
    if not win._stopping:
        win.close()
        if win.quit_box is not None:
            qtbot.mouseClick(win.quit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.gpu.is_stopped() and win.downloads.is_stopped(), timeout=30000)
    qtbot.waitUntil(lambda: not win._stop_poll.isActive())
    win.deleteLater()
