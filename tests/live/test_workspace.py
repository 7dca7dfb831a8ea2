"""The Live workspace driven by pytest-qt over the real service, with a fake frame source."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from studio.services.inference import InferenceService  # noqa: E402
from studio.ui.workspaces.live import FrameSource, LiveWorkspace  # noqa: E402


def _service(qtbot, store):
    svc = InferenceService(store, device="cpu")
    with qtbot.waitSignal(svc.device_ready, timeout=30000):
        svc.start()
    return svc


@pytest.fixture
def workspace(qtbot, live_store):
    svc = _service(qtbot, live_store)
    ws = LiveWorkspace(svc, live_store)
    qtbot.addWidget(ws)
    ws.size.setCurrentIndex(0)  # 256 x 256 keeps the CPU test quick
    yield ws, svc
    ws.stop()
    svc.shutdown()


def test_stream_shows_frames_and_applies_prompt_changes(qtbot, workspace, tmp_path):
    ws, svc = workspace
    ws.prompt.setText("a cat")
    frame = (np.random.default_rng(0).random((90, 120, 3)) * 255).astype(np.uint8)
    ws.set_source(FrameSource(frame))
    ws.show()
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        ws.start()
    assert ws.running and ws.start_button.text() == "Stop"
    qtbot.waitUntil(lambda: ws.last_image is not None, timeout=10000)
    assert ws.last_image.size == (256, 256)
    ws.prompt.setText("a dog")
    assert ws.controls.get().prompt == "a dog"
    qtbot.waitUntil(lambda: "fps" in ws.status.text(), timeout=30000)
    ws.freeze()
    assert ws.save_button.isEnabled()
    with qtbot.waitSignal(ws.send_to_canvas) as sent:
        ws.canvas_button.click()
    assert sent.args[0].size == (256, 256)
    ws.save_frozen(str(tmp_path / "f.png"))
    assert (tmp_path / "f.png").is_file()
    job_id = ws.job_id
    with qtbot.waitSignal(
        svc.job_cancelled, timeout=30000, check_params_cb=lambda j: j.id == job_id
    ):
        ws.hide()  # leaving the workspace stops the stream
    assert not ws.running and ws.status.text() == "Stopped"


def test_refused_prompt_shows_an_error_and_the_ui_keeps_running(qtbot, workspace):
    ws, svc = workspace
    ws.prompt.setText("nude")
    with qtbot.waitSignal(svc.job_failed, timeout=30000):
        ws.start()
    assert "content filter" in ws.error.text()
    assert not ws.running and ws.start_button.text() == "Start"


def test_stream_yields_to_other_jobs_between_frames(qtbot, workspace):
    from studio.pipelines.live.jobs import LiveFrameRequest
    from studio.pipelines.live.session import LiveSettings
    from studio.services.jobs import Priority

    ws, svc = workspace
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: job.id == ws.job_id
    ):
        ws.start()
    settings = LiveSettings(prompt="one", width=64, height=64)
    with qtbot.waitSignal(svc.job_finished, timeout=30000) as done:
        other = svc.submit("live.frame", LiveFrameRequest(settings), Priority.INTERACTIVE)
    assert done.args[0].id == other.id and done.args[1].image.shape == (64, 64, 3)
    assert ws.running  # the stream carries on after the interactive job
