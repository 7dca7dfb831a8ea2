"""The main window with Settings -> Compute on a real ``studio serve``: the Canvas' Remove
button runs on the server and the picture is what the local run gives; a dropped connection
shows in the Jobs panel."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.core.settings import Settings
from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from tests.canvas.test_workspace_select import at
from tests.fixtures.install import install_copy
from tests.server.conftest import free_port, recording_context, start_server, stop_server
from tests.ui.shell.harness import close_and_wait

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(scope="module")
def server_store(tmp_path_factory) -> ModelStore:
    """The server's store: a tiny LaMa in its real layout (the window's own store is empty)."""
    from tests.fixtures.canvas_models import build_big_lama

    root = tmp_path_factory.mktemp("remote_window")
    store = ModelStore(root / "store", load_catalogue())
    build_big_lama(root / "built" / "lama-big")
    install_copy(store, "lama-big", root / "built" / "lama-big")
    return store


@pytest.fixture(scope="module")
def server(server_store, tmp_path_factory):
    from studio.server.state import ServerConfig

    work = tmp_path_factory.mktemp("remote_window_work")
    running = start_server(
        ServerConfig(port=free_port(), work_dir=work, device="cpu"), server_store
    )
    yield running
    stop_server(running)


@pytest.fixture
def remote_window(qtbot, tmp_path, server):
    from studio.ui.shell.app import create_main_window

    settings = Settings(welcomed=True, device="cpu", compute="server", server_url=server.url)
    window = create_main_window(settings, ModelStore(tmp_path / "models", load_catalogue()))
    window.show()
    yield window
    window.workspaces["canvas"].doc.stack.setClean()  # no question box at closing
    close_and_wait(qtbot, window)


def test_canvas_remove_runs_on_the_server(remote_window, qtbot, server, server_store, tmp_path):
    from PIL import Image
    from skimage import data

    from studio.pipelines.canvas.remove import RemoveRequest
    from studio.pipelines.jobspec import workspace_jobs

    win = remote_window
    qtbot.waitUntil(lambda: win.device_label.text().startswith("Device: Server:"), timeout=30000)
    assert win.device_label.text() == f"Device: Server: {server.url} (cpu)"

    photo = data.astronaut()[100:196, 150:278].copy()
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    ws = win.workspaces["canvas"]
    with qtbot.waitSignal(ws.image_opened, timeout=15000):
        assert win.open_paths([path])
    panel, view = ws.panel, ws.view
    qtbot.mouseClick(ws.toolbar.tool_buttons["brush"], LEFT)
    ws.toolbar.brush_size.setValue(10)
    vp = view.viewport()
    qtbot.mousePress(vp, LEFT, pos=at(view, 30, 50))
    qtbot.mouseMove(vp, at(view, 70, 50))
    qtbot.mouseRelease(vp, LEFT, pos=at(view, 90, 50))
    mask = ws.doc.mask.copy()
    assert mask[50, 60] == 255

    jobs_before = set((server.state.config.resolved_work_dir() / "jobs").iterdir())
    stages: list[str] = []
    win.gpu.job_progress.connect(lambda _job, update: stages.append(update.stage))
    qtbot.mouseClick(panel.remove_button, LEFT)
    qtbot.waitUntil(lambda: ws.controller.action_job is None, timeout=120000)
    assert ws.history.labels() == ["Original", "Remove"], panel.status.text()
    assert len(set((server.state.config.resolved_work_dir() / "jobs").iterdir()) - jobs_before) == 1
    assert stages  # the server's progress reached the jobs panel's service

    local = workspace_jobs()["canvas.remove"](
        RemoveRequest(image=photo, mask=mask), recording_context(server_store)
    )
    assert np.array_equal(ws.doc.image, local.image)
    assert not np.array_equal(ws.doc.image, photo)


class DropFirstEventStream(httpx.BaseTransport):
    """A network that resets the first event stream before anything arrives."""

    def __init__(self) -> None:
        self.inner, self.dropped = httpx.HTTPTransport(), False

    def handle_request(self, request):
        if request.url.path.endswith("/events") and not self.dropped:
            self.dropped = True
            raise httpx.ReadError("connection reset by the test network")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_the_jobs_panel_says_the_connection_was_lost(qtbot, server, tmp_path):
    from studio.pipelines.canvas.remove import RemoveRequest
    from studio.pipelines.jobspec import JobSpec
    from studio.remote.client import RECONNECT_STAGE, RemoteRunner, StudioClient
    from studio.services.inference import InferenceService
    from studio.ui.shell.jobs_panel import JobsPanel

    transport = DropFirstEventStream()
    runner = RemoteRunner(StudioClient(server.url, transport=transport), "canvas.remove")
    store = ModelStore(tmp_path / "models", load_catalogue())
    # every_update: each update reaches the panel, so what it showed can be read in order
    service = InferenceService(
        store, device="cpu", runners={"canvas.remove": JobSpec(runner, every_update=True)}
    )
    panel = JobsPanel([service])
    qtbot.addWidget(panel)
    shown: list[str] = []
    service.job_progress.connect(lambda job, _u: shown.append(panel.row_text(job.id, 1)))
    with qtbot.waitSignal(service.device_ready, timeout=30000):
        service.start()
    image = np.full((64, 64, 3), 120, np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:40, 20:40] = 255
    with qtbot.waitSignal(service.job_finished, timeout=120000) as finished:
        service.submit("canvas.remove", RemoveRequest(image=image, mask=mask))
    assert transport.dropped
    assert shown[0] == f"running: {RECONNECT_STAGE}"
    assert len(shown) > 1 and RECONNECT_STAGE not in shown[-1]  # then the replayed stages
    assert finished.args[1].image.shape == (64, 64, 3)
    assert service.shutdown(30)


def test_an_unreachable_server_is_named_in_the_status_bar(qtbot, tmp_path):
    from studio.ui.shell.app import create_main_window

    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(welcomed=True, compute="server", server_url=url)
    window = create_main_window(settings, ModelStore(tmp_path / "models", load_catalogue()))
    window.show()
    try:
        label = window.device_label
        qtbot.waitUntil(lambda: label.text().startswith("Device: Server:"), timeout=30000)
        assert label.text() == f"Device: Server: {url}"
        assert label.toolTip() == (
            f"The Studio server at {url} cannot be reached. Is `studio serve` running?"
        )
        assert "canvas.remove" in window.gpu.runners and "live.stream" in window.gpu.runners
    finally:
        close_and_wait(qtbot, window)
