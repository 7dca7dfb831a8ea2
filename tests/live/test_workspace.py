"""The Live workspace driven by pytest-qt over the real service, with a fake frame source."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from studio.ui.workspaces.live.sources import FrameSource  # noqa: E402
from studio.ui.workspaces.live.workspace import LiveWorkspace  # noqa: E402


@pytest.fixture
def workspace(qtbot, live_store, start_cpu_service):
    svc = start_cpu_service(live_store)
    ws = LiveWorkspace(svc, live_store)
    qtbot.addWidget(ws)
    ws.panel.frame_size.setCurrentIndex(0)  # 256 x 256 keeps the CPU test quick
    yield ws, svc
    ws.stop()


def test_stream_shows_frames_and_applies_prompt_changes(qtbot, workspace, tmp_path):
    ws, svc = workspace
    ws.panel.prompt.setText("a cat")
    frame = (np.random.default_rng(0).random((90, 120, 3)) * 255).astype(np.uint8)
    ws.set_source(FrameSource(frame))
    ws.show()
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        ws.start()
    assert ws.running and ws.panel.start_button.text() == "Stop"
    qtbot.waitUntil(lambda: ws.last_image is not None, timeout=10000)
    assert ws.last_image.size == (256, 256)
    ws.panel.prompt.setText("a dog")
    assert ws.controls.get().prompt == "a dog"
    qtbot.waitUntil(lambda: "fps" in ws.panel.status.text(), timeout=30000)
    ws.freeze()
    assert ws.frozen_view.save_button.isEnabled()
    with qtbot.waitSignal(ws.send_to_canvas) as sent:
        ws.frozen_view.canvas_button.click()
    assert sent.args[0].size == (256, 256)
    ws.save_frozen(str(tmp_path / "f.png"))
    qtbot.waitUntil(lambda: ws.frozen_view.note.text().startswith("Saved"), timeout=10000)
    assert (tmp_path / "f.png").is_file()
    job_id = ws.job_id
    with qtbot.waitSignal(
        svc.job_cancelled, timeout=30000, check_params_cb=lambda j: j.id == job_id
    ):
        ws.hide()  # leaving the workspace pauses the stream...
    assert not ws.running and ws.panel.status.text().startswith("Paused while Live is not shown")
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        ws.show()  # ...and coming back resumes it
    assert ws.running and ws.job_id != job_id and ws.panel.start_button.text() == "Stop"


def test_refused_prompt_shows_an_error_and_the_ui_keeps_running(qtbot, workspace):
    ws, svc = workspace
    ws.panel.prompt.setText("nude")
    with qtbot.waitSignal(svc.job_failed, timeout=30000):
        ws.start()
    assert "content filter" in ws.panel.error.text()
    assert not ws.running and ws.panel.start_button.text() == "Start"


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


def _next_frame(qtbot, svc, ws, timeout=60000):
    """Wait for the stream's next rendered frame."""
    with qtbot.waitSignal(
        svc.job_progress,
        timeout=timeout,
        check_params_cb=lambda job, u: job.id == ws.job_id and u.preview is not None,
    ):
        pass


def _choose(combo, text):
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)
    combo.activated.emit(index)  # what a user's click emits


def test_canvas_source_streams_the_canvas_image(qtbot, workspace, tmp_path):
    import os

    from studio.ui.workspaces.live.sources import CanvasSource

    ws, svc = workspace
    ws.show()  # the source list looks for cameras when it is first shown
    picker = ws.panel.source_kind
    canvas_item = picker.model().item(picker.findText("Canvas"))
    assert not canvas_item.isEnabled()  # no canvas linked yet
    assert not picker.model().item(picker.findText("No camera found")).isEnabled()
    from skimage.data import astronaut

    canvas = [astronaut()[::2, ::2]]  # a real photo, 256 x 256
    ws.set_canvas_source(lambda: canvas[-1])
    assert picker.model().item(picker.findText("Canvas")).isEnabled()
    _choose(picker, "Canvas")
    assert isinstance(ws.source, CanvasSource) and picker.currentText() == "Canvas"
    ws.panel.prompt.setText("a watercolour fox")
    ws.resize(1100, 640)
    ws.show()
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        ws.start()
    first = np.asarray(ws.last_image)
    canvas.append(255 - canvas[0])  # the user paints: the next frames follow the canvas
    qtbot.waitUntil(lambda: not np.array_equal(np.asarray(ws.last_image), first), timeout=30000)
    qtbot.waitUntil(lambda: "ms/frame" in ws.panel.status.text(), timeout=30000)
    assert "img2img" in ws.panel.status.text()
    shot = ws.grab()
    shot.save(str(tmp_path / "live.png"))
    if os.environ.get("LIVE_SCREENSHOT"):
        shot.save(os.environ["LIVE_SCREENSHOT"])
    assert shot.width() == 1100


def test_camera_unplugged_mid_stream_stops_with_a_message(qtbot, workspace):
    from PySide6.QtMultimedia import QCameraDevice, QVideoFrame

    from studio.ui.widgets.images import to_qimage
    from studio.ui.workspaces.live.sources import CameraSource

    ws, svc = workspace
    camera = CameraSource(QCameraDevice())  # no webcam here: frames come through its sink
    frame = (np.random.default_rng(0).random((120, 160, 3)) * 255).astype(np.uint8)
    camera.sink.setVideoFrame(QVideoFrame(to_qimage(frame)))
    ws.set_source(camera)
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        ws.start()
    job_id = ws.job_id
    with qtbot.waitSignal(
        svc.job_cancelled, timeout=30000, check_params_cb=lambda j: j.id == job_id
    ):
        camera.media_devices.videoInputsChanged.emit()  # the camera left the device list
    assert "was disconnected" in ws.panel.error.text()
    assert not ws.running and ws.source is None
    assert ws.panel.source_kind.currentText() == "None (text to image)"
    assert ws.panel.source_view.text() == "Source stopped"
    _next_frame_after_start(qtbot, svc, ws)  # the workspace still works: txt2img now
    qtbot.waitUntil(lambda: ws.last_frame is not None, timeout=10000)
    assert ws.last_frame.mode == "txt2img"


def _next_frame_after_start(qtbot, svc, ws):
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        ws.start()


def test_refused_prompt_and_model_switch_mid_stream_keep_it_running(qtbot, workspace):
    ws, svc = workspace
    ws.panel.prompt.setText("a cat")
    _next_frame_after_start(qtbot, svc, ws)
    ws.panel.prompt.setText("a nude cat")
    assert "refused by the content filter" in ws.panel.error.text()
    assert ws.controls.get().prompt == "a cat" and ws.running
    _next_frame(qtbot, svc, ws)  # still streaming, with the last accepted prompt
    ws.panel.prompt.setText("a dog")
    assert ws.panel.error.text() == "" and ws.controls.get().prompt == "a dog"

    _choose(ws.panel.vae, "Model's own VAE (sharper)")
    assert ws.controls.get().vae_id is None
    _next_frame(qtbot, svc, ws)
    qtbot.waitUntil(lambda: "live.engine:sd-turbo+vae:cpu" in svc.cache, timeout=30000)
    ws.store.delete("taesd")
    _choose(ws.panel.vae, "Tiny VAE (TAESD, fastest)")
    assert "TAESD tiny VAE (SD 1.x/2.x) is not installed" in ws.panel.error.text()
    assert ws.panel.vae.currentData() is None and ws.controls.get().vae_id is None
    _next_frame(qtbot, svc, ws)
    assert ws.running


def test_screen_and_file_sources_show_a_preview(qtbot, workspace, tmp_path):
    from PIL import Image
    from PySide6.QtCore import QRect

    from studio.ui.workspaces.live.sources import ScreenSource

    ws, _svc = workspace
    ws.use_screen_region(QRect(0, 0, 200, 120))
    assert isinstance(ws.source, ScreenSource) and ws.source.timer.isActive()
    assert ws.panel.source_kind.currentText() == "Screen region..."
    qtbot.waitUntil(lambda: ws.panel.source_view.pixmap() is not None, timeout=5000)
    assert not ws.panel.source_view.pixmap().isNull()
    screen = ws.source
    ws.show()
    ws.hide()  # leaving the workspace stops the capture...
    assert not screen.timer.isActive()
    ws.show()  # ...and coming back resumes it
    assert screen.timer.isActive()

    ws.use_image(str(tmp_path / "missing.png"))
    assert "Could not read the image" in ws.panel.error.text() and ws.source is screen
    path = tmp_path / "in.png"
    Image.fromarray(np.full((40, 60, 3), 200, np.uint8)).save(path)
    ws.use_image(str(path))
    assert ws.source.latest().shape == (40, 60, 3) and not screen.timer.isActive()
    _choose(ws.panel.source_kind, "None (text to image)")
    assert ws.source is None and ws.panel.source_view.text() == "No source"


def test_speed_choice_reaches_the_frame_loop(workspace):
    ws, _svc = workspace
    assert ws.controls.get().optimise == "auto"  # quick start by default
    ws.panel.speed.setCurrentIndex(ws.panel.speed.findData("compile"))
    assert ws.controls.get().optimise == "compile"
    ws.panel.speed.setCurrentIndex(ws.panel.speed.findData("eager"))
    assert ws.controls.get().optimise == "eager"
