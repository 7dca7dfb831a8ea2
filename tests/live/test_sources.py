"""Live frame sources with real Qt objects offscreen: video sink frames, screen grabs, canvas."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")
QtMultimedia = pytest.importorskip("PySide6.QtMultimedia")

from PySide6.QtCore import QRect, QSize  # noqa: E402
from PySide6.QtMultimedia import (  # noqa: E402
    QCamera,
    QCameraDevice,
    QVideoFrame,
    QVideoFrameFormat,
    QVideoSink,
)
from PySide6.QtWidgets import QLabel  # noqa: E402

from studio.core.errors import BadInput  # noqa: E402
from studio.ui.widgets.images import to_qimage  # noqa: E402
from studio.ui.workspaces.live.source_picker import RegionDialog, SourcePicker  # noqa: E402
from studio.ui.workspaces.live.sources import (  # noqa: E402
    CameraSource,
    CanvasSource,
    ScreenSource,
    VideoSinkSource,
    available_cameras,
)


def _pattern(h=30, w=45, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def test_video_sink_frames_reach_the_stream_as_rgb(qtbot):
    sink = QVideoSink()
    source = VideoSinkSource(sink)
    assert source.latest() is None and source.version == 0
    first, second = _pattern(seed=1), _pattern(seed=2)
    sink.setVideoFrame(QVideoFrame(to_qimage(first)))  # what a camera backend does
    assert source.version == 1
    np.testing.assert_array_equal(source.latest(), first)
    sink.setVideoFrame(QVideoFrame(to_qimage(second)))
    # The stream reads on its own thread: the handoff gives it the newest frame, whole.
    got = []
    reader = threading.Thread(target=lambda: got.append(source.latest()))
    reader.start()
    reader.join(5)
    np.testing.assert_array_equal(got[0], second)
    sink.setVideoFrame(QVideoFrame())  # an invalid frame (a camera glitch) is ignored
    np.testing.assert_array_equal(source.latest(), second)


def test_planar_yuv_camera_frames_are_converted(qtbot):
    """Webcams deliver YUV; build a real YUV420P frame of one grey level and read it back."""
    source = VideoSinkSource()
    fmt = QVideoFrameFormat(QSize(32, 16), QVideoFrameFormat.PixelFormat.Format_YUV420P)
    frame = QVideoFrame(fmt)
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    for plane, value in ((0, 180), (1, 128), (2, 128)):  # Y = 180, no colour
        data = frame.bits(plane)
        np.frombuffer(data, np.uint8)[:] = value
    frame.unmap()
    source.sink.setVideoFrame(frame)
    rgb = source.latest()
    assert rgb.shape == (16, 32, 3)
    assert np.ptp(rgb) <= 2 and 170 <= rgb.mean() <= 200  # grey, roughly Y's brightness


def test_no_camera_on_this_machine_is_said_plainly(qtbot):
    assert available_cameras() == []  # a CI machine has no webcam
    picker = SourcePicker()
    qtbot.addWidget(picker)
    assert picker.media_devices is None  # not asked while the list is only built
    assert "No camera found" not in [picker.itemText(i) for i in range(picker.count())]
    picker.show()  # shown: now it looks for cameras, and follows hot-plugging
    assert picker.media_devices is not None
    texts = [picker.itemText(i) for i in range(picker.count())]
    assert "No camera found" in texts
    item = picker.model().item(texts.index("No camera found"))
    assert not item.isEnabled()
    assert not picker.model().item(texts.index("Canvas")).isEnabled()
    picker.set_canvas_available(True)
    assert picker.model().item(texts.index("Canvas")).isEnabled()


def test_camera_unplugged_fails_with_a_message(qtbot):
    source = CameraSource(QCameraDevice())
    source.sink.setVideoFrame(QVideoFrame(to_qimage(_pattern())))
    assert source.latest().shape == (30, 45, 3)
    with qtbot.waitSignal(source.failed) as failed:
        source.media_devices.videoInputsChanged.emit()  # the camera left the device list
    assert "was disconnected" in failed.args[0]
    with pytest.raises(BadInput, match="was disconnected"):
        source.latest()  # the stream's next read ends it with the same message


def test_camera_error_fails_with_a_message(qtbot):
    source = CameraSource(QCameraDevice())
    with qtbot.waitSignal(source.failed) as failed:
        source.camera.errorOccurred.emit(QCamera.Error.CameraError, "device busy")
    assert "stopped working (device busy)" in failed.args[0]
    source.camera.errorOccurred.emit(QCamera.Error.CameraError, "again")  # reported once
    assert source.error == failed.args[0]


def test_screen_region_grabs_what_is_on_screen(qtbot):
    marker = QLabel("")
    marker.setStyleSheet("background: #00ff00")
    marker.setGeometry(40, 30, 100, 80)
    qtbot.addWidget(marker)
    marker.show()
    qtbot.waitExposed(marker)
    source = ScreenSource(QRect(20, 20, 160, 120), interval_ms=20)
    assert source.grab().shape == (120, 160, 3)
    # Inside the green widget, once it has painted.
    qtbot.waitUntil(lambda: tuple(source.grab()[40, 60]) == (0, 255, 0), timeout=5000)
    before = source.version
    source.start()
    qtbot.waitUntil(lambda: source.version >= before + 3, timeout=5000)  # the timer grabs
    source.stop()
    assert not source.timer.isActive()


def test_screen_removed_stops_the_source(qtbot, qapp):
    source = ScreenSource(QRect(0, 0, 64, 64))
    with qtbot.waitSignal(source.failed) as failed:
        qapp.screenRemoved.emit(source.screen)
    assert "disconnected" in failed.args[0]
    assert source.grab() is None


def test_canvas_source_streams_the_provider_image(qtbot):
    images = [None]
    source = CanvasSource(lambda: images[-1], interval_ms=20)
    source.start()
    assert source.empty and source.latest() is None
    painted = _pattern(h=40, w=60)
    images.append(painted)
    qtbot.waitUntil(lambda: source.latest() is not None, timeout=5000)
    np.testing.assert_array_equal(source.latest(), painted)
    source.stop()

    def broken():
        raise RuntimeError("layer stack locked")

    bad = CanvasSource(broken)
    with qtbot.waitSignal(bad.failed) as failed:
        bad.poll()
    assert "Canvas image could not be read" in failed.args[0]


def test_region_dialog_keeps_the_region_on_screen(qtbot):
    dialog = RegionDialog(region=QRect(10, 20, 300, 200))
    qtbot.addWidget(dialog)
    assert dialog.region() == QRect(10, 20, 300, 200)
    geometry = dialog.target_screen.geometry()
    dialog.left.setValue(geometry.width() - 50)
    dialog.width_box.setValue(400)
    assert dialog.region().right() <= geometry.right()


def test_a_failed_source_ends_the_stream_with_its_message(qtbot, run_context, live_store):
    from studio.pipelines.live.jobs import LiveStreamRequest, run_stream
    from studio.pipelines.live.session import LiveControls, LiveSettings

    source = VideoSinkSource()
    source.sink.setVideoFrame(QVideoFrame(to_qimage(_pattern())))

    def unplug(frame):
        source.fail("The camera 'Test' was disconnected. Plug it back in.")

    request = LiveStreamRequest(
        controls=LiveControls(LiveSettings(prompt="a", width=64, height=64)),
        source=source.latest,
        on_frame=unplug,
        idle_sleep_s=0,
    )
    with pytest.raises(BadInput, match="'Test' was disconnected"):
        run_stream(request, run_context)


def test_camera_mode_choice_prefers_small_fast_modes_that_cover_the_frame():
    from studio.ui.workspaces.live.sources import pick_camera_format

    modes = [(3840, 2160, 30.0), (1280, 720, 30.0), (640, 480, 30.0), (1920, 1080, 60.0)]
    assert pick_camera_format(modes) == 1  # 720p: the smallest with a short side >= 512
    assert pick_camera_format([(1280, 720, 10.0), (1920, 1080, 30.0)]) == 1  # fps first
    assert pick_camera_format([(320, 240, 30.0), (640, 480, 30.0)]) == 1  # else the largest
    assert pick_camera_format([]) is None
