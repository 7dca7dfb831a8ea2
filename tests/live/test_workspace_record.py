"""Live's Record button, microphone and virtual camera on the real widgets over the real CPU
service and tiny sd-turbo: the MP4 (checked with PyAV) lands whole in the outputs folder with a
"Saved to" notice and a gallery entry; stopping the stream or quitting finishes it; the
microphone (a WAV fed in blocks through the recorder's input backend seam) is in it; the
virtual camera explains itself where there is none, and takes frames through its seam."""

from __future__ import annotations

import re
import time
import wave

import numpy as np
import pytest

pytest.importorskip("pytestqt")
av = pytest.importorskip("av")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from studio.pipelines.lipsync.recorder import InputDevice  # noqa: E402
from studio.ui.workspaces.live.sources import FrameSource  # noqa: E402
from studio.ui.workspaces.live.workspace import LiveWorkspace  # noqa: E402
from tests.live.test_outputs_v2 import CollectingCamera  # noqa: E402
from tests.ui.clicking import click  # noqa: E402


class WavMicrophone:
    """An input backend that plays a WAV file in blocks at the pace of a real device."""

    def __init__(self, path, devices=True):
        with wave.open(str(path)) as wav:
            self.rate = wav.getframerate()
            data = np.frombuffer(wav.readframes(wav.getnframes()), np.int16)
        self.samples = data.astype(np.float32) / 32768
        self._devices = [InputDevice(0, "Desk mic", 1, self.rate)] if devices else []
        self.pos, self.closed = 0, False

    def devices(self):
        return self._devices

    def open(self, device, rate, channels, block):
        assert rate == self.rate and channels == 1
        self.block = block

    def read(self):
        time.sleep(self.block / self.rate)
        chunk = np.resize(self.samples[self.pos :], self.block)  # loops at the end
        self.pos = (self.pos + self.block) % len(self.samples)
        return chunk.reshape(-1, 1)

    def close(self):
        self.closed = True


def write_tone(path, rate=48000, seconds=1.0, hz=440.0):
    t = np.arange(int(rate * seconds)) / rate
    samples = (0.5 * np.sin(2 * np.pi * hz * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


@pytest.fixture
def workspace(qtbot, live_store, start_cpu_service):
    svc = start_cpu_service(live_store)
    ws = LiveWorkspace(svc, live_store)
    qtbot.addWidget(ws)
    ws.panel.frame_size.setCurrentIndex(0)  # 256 x 256 keeps the CPU test quick
    image = (np.random.default_rng(5).random((96, 96, 3)) * 255).astype(np.uint8)
    ws.set_source(FrameSource(image))
    ws.panel.prompt.setText("a watercolour fox")
    ws.resize(1100, 720)
    ws.show()
    yield ws, svc
    ws.stop()
    ws.outputs.join()


def frames_of(path):
    with av.open(str(path)) as container:
        video = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return video


def audio_of(path):
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        chunks = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
    return np.concatenate(chunks)


def wait_frames(qtbot, ws, count):
    qtbot.waitUntil(
        lambda: ws.last_frame is not None and ws.last_frame.index >= count, timeout=60000
    )


def test_record_starts_the_stream_and_saves_an_mp4_with_a_notice(qtbot, workspace, tmp_path):
    from studio.core.gallery import Gallery
    from studio.core.paths import data_dir

    ws, _svc = workspace
    panel = ws.panel
    click(qtbot, panel.record_button)  # not streaming yet: Record starts the stream too
    assert ws.running and ws.outputs.recording
    assert panel.record_button.text() == "Stop rec" and not panel.microphone.isEnabled()
    assert panel.elapsed.text() == "● REC 0:00"
    wait_frames(qtbot, ws, 4)
    qtbot.waitUntil(lambda: panel.elapsed.text().startswith("● REC 0:0"), timeout=5000)
    with qtbot.waitSignal(ws.notify, timeout=30000) as notice:
        click(qtbot, panel.record_button)
    assert panel.record_button.text() == "Record" and ws.running  # the stream goes on
    (saved,) = (data_dir() / "live" / "recordings").iterdir()  # no partial file beside it
    assert re.fullmatch(r"live-\d{8}-\d{6}\.mp4", saved.name)
    assert notice.args == [f"Saved to {saved}"]
    assert panel.elapsed.text() == f"Saved {saved.name}"
    video = frames_of(saved)
    assert len(video) >= 4 and video[0].shape == (256, 256, 3)
    assert audio_of(saved) is None  # "Mic" was not ticked
    with Gallery() as gallery:
        (entry,) = gallery.entries("live")
    assert (entry.kind, entry.prompt) == ("recording", "a watercolour fox")
    assert entry.outputs == [str(saved.resolve())] and entry.settings["frames"] == len(video)
    assert "sd-turbo" in entry.models


def test_microphone_sound_is_recorded_and_stopping_the_stream_finishes_the_file(
    qtbot, workspace, tmp_path
):
    ws, svc = workspace
    mic = WavMicrophone(write_tone(tmp_path / "voice.wav"))
    ws.outputs.mic_backend = mic
    click(qtbot, ws.panel.microphone)
    click(qtbot, ws.panel.start_button)
    wait_frames(qtbot, ws, 1)
    click(qtbot, ws.panel.record_button)
    wait_frames(qtbot, ws, ws.last_frame.index + 6)
    qtbot.wait(300)  # some sound after the last frames
    with qtbot.waitSignal(ws.notify, timeout=30000) as notice:
        click(qtbot, ws.panel.start_button)  # Stop the stream: the recording ends with it
    assert not ws.running and not ws.outputs.recording and mic.closed
    saved = notice.args[0].removeprefix("Saved to ")
    sound = audio_of(saved)
    assert sound is not None and np.abs(sound).max() > 0.3  # the tone, not silence
    spectrum = np.abs(np.fft.rfft(sound[: 48000 // 4]))
    assert abs(np.argmax(spectrum) * 4 - 440) <= 8  # 440 Hz, as fed in
    assert len(frames_of(saved)) >= 6


def test_no_microphone_records_without_sound_and_says_so(qtbot, workspace, tmp_path):
    ws, _svc = workspace
    ws.outputs.mic_backend = WavMicrophone(write_tone(tmp_path / "v.wav"), devices=False)
    click(qtbot, ws.panel.microphone)
    click(qtbot, ws.panel.record_button)
    assert ws.panel.error.text() == "No microphone was found, so this recording has no sound."
    assert ws.outputs.recording
    wait_frames(qtbot, ws, 3)
    with qtbot.waitSignal(ws.notify, timeout=30000) as notice:  # Ctrl+R stops it too
        qtbot.keyClick(ws.panel.prompt, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert not ws.outputs.recording and ws.panel.record_button.text() == "Record"
    assert ws.panel.prompt.text() == "a watercolour fox"  # the key did not type into it
    assert audio_of(notice.args[0].removeprefix("Saved to ")) is None


def test_quitting_while_recording_finishes_the_file(qtbot, live_store, start_cpu_service):
    from studio.core.paths import data_dir
    from studio.core.settings import Settings
    from studio.services.inference import InferenceService
    from studio.ui.shell.main_window import MainWindow

    gpu = start_cpu_service(live_store)
    downloads = InferenceService(live_store, device="none", runners={}, name="downloads")
    window = MainWindow(Settings(welcomed=True), live_store, gpu, downloads)
    live = window.workspaces["live"]
    live.panel.frame_size.setCurrentIndex(0)
    live.set_source(FrameSource(np.full((64, 64, 3), 90, np.uint8)))
    window.show_workspace("live")
    window.show()
    click(qtbot, live.panel.record_button)
    wait_frames(qtbot, live, 3)
    window.close()  # the stream's job is running: the quit question comes first
    if window.quit_box is not None:
        click(qtbot, window.quit_button)
    qtbot.waitUntil(lambda: gpu.is_stopped(), timeout=30000)
    (saved,) = (data_dir() / "live" / "recordings").iterdir()
    assert saved.suffix == ".mp4" and len(frames_of(saved)) >= 3


def test_virtual_camera_without_a_device_explains_how_to_enable_one(qtbot, workspace):
    ws, _svc = workspace
    click(qtbot, ws.panel.camera_button)
    qtbot.waitUntil(lambda: ws.camera_box is not None and ws.camera_box.isVisible(), timeout=5000)
    box = ws.camera_box
    assert box.objectName() == "virtualCameraBox" and not ws.panel.camera_button.isChecked()
    assert box.text().startswith("No virtual camera is available.")
    try:
        import pyvirtualcam  # noqa: F401
    except ImportError:  # the optional extra is not installed here: how to get it comes first
        assert "pip install pyvirtualcam" in box.text()
    assert ("modprobe v4l2loopback" in box.text()) or ("OBS" in box.text())
    click(qtbot, box.button(QMessageBox.StandardButton.Ok))
    assert not box.isVisible() and not ws.outputs.camera_on()
    assert QApplication.activeModalWidget() is None


def test_virtual_camera_gets_the_frames_and_a_lost_device_switches_it_off(qtbot, workspace):
    ws, _svc = workspace
    cameras = []

    def open_camera(width, height, fps):  # the virtual camera seam, as in the Qt-free tests
        cameras.append(CollectingCamera(fail_after=4 if cameras else None))
        cameras[-1].width, cameras[-1].height = width, height
        return cameras[-1]

    ws.outputs.open_camera = open_camera
    click(qtbot, ws.panel.camera_button)
    assert ws.panel.camera_button.isChecked() and ws.outputs.camera_on()
    assert ws.panel.status.text() == "Sending the output to the virtual camera collector"
    click(qtbot, ws.panel.start_button)
    qtbot.waitUntil(lambda: len(cameras[0].frames) >= 3, timeout=60000)
    assert cameras[0].frames[0].shape == (256, 256, 3) and (cameras[0].width == 256)
    click(qtbot, ws.panel.camera_button)  # off
    assert cameras[0].closed == 1 and not ws.outputs.camera_on()
    click(qtbot, ws.panel.camera_button)  # on again, then the device goes away
    qtbot.waitUntil(lambda: not ws.panel.camera_button.isChecked(), timeout=60000)
    assert "virtual camera stopped" in ws.panel.error.text() and ws.running
