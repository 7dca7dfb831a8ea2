"""The Lipsync panel offscreen over a real CPU InferenceService, tiny models, a fake microphone."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from studio.pipelines.lipsync.recorder import InputDevice  # noqa: E402


class FakeMic:
    def __init__(self, lose_after=None):
        self.lose_after, self.count = lose_after, 0

    def devices(self):
        return [InputDevice(0, "Fake mic", 1, 48000)]

    def open(self, device, rate, channels, block):
        self.block = block

    def read(self):
        import time

        if self.lose_after is not None and self.count >= self.lose_after:
            raise OSError("unplugged")
        self.count += 1
        time.sleep(0.002)
        t = (np.arange(self.block) + self.count * self.block) / 48000
        return (0.3 * np.sin(2 * np.pi * 180 * t))[:, None].astype(np.float32)

    def close(self):
        pass


@pytest.fixture
def service(qtbot, lipsync_ctx):
    from studio.services.inference import InferenceService

    svc = InferenceService(lipsync_ctx.store, device="cpu")
    with qtbot.waitSignal(svc.device_ready, timeout=30000):
        svc.start()
    yield svc
    assert svc.shutdown(30)


def _workspace(qtbot, service, mic):
    from studio.ui.workspaces.lipsync import LipsyncWorkspace, RecorderController

    ws = LipsyncWorkspace(service, service.store, recorder=RecorderController(mic))
    qtbot.addWidget(ws)
    ws.show()
    return ws


def test_record_then_render_and_save(qtbot, service, avatar_files, short_speech_wav, tmp_path):
    ws = _workspace(qtbot, service, FakeMic())
    assert ws.device_box.currentText() == "Fake mic"
    assert not ws.generate_button.isEnabled()
    ws.set_avatar(avatar_files[1])
    ws.max_len.setValue(1)
    with qtbot.waitSignal(ws.recorder.finished, timeout=10000):
        ws.toggle_recording()
    ws.recorder.join()
    assert ws.audio_path is not None and ws.audio_path.suffix == ".wav"
    ws.set_audio(short_speech_wav)  # real speech for the render
    assert ws.generate_button.isEnabled()
    with qtbot.waitSignal(service.job_finished, timeout=120000):
        ws.generate()
    assert ws.result_path is not None and ws.result_path.is_file()
    assert "Done" in ws.status.text() and ws.progress.value() == ws.progress.maximum()
    assert ws.save_button.isEnabled()
    ws.save_result(tmp_path / "mine.mp4")
    assert (tmp_path / "mine.mp4").stat().st_size == ws.result_path.stat().st_size


def test_unplugged_microphone_keeps_the_recording(qtbot, service):
    ws = _workspace(qtbot, service, FakeMic(lose_after=30))
    with qtbot.waitSignal(ws.recorder.finished, timeout=10000):
        ws.toggle_recording()
    ws.recorder.join()
    qtbot.waitUntil(lambda: "disappeared" in ws.status.text(), timeout=5000)
    assert "Saved as" in ws.status.text()
    assert ws.audio_path is not None and ws.audio_path.is_file()


def test_bad_avatar_shows_the_message(qtbot, service, avatar_files, short_speech_wav):
    ws = _workspace(qtbot, service, FakeMic())
    ws.set_avatar(avatar_files[0])
    ws.set_audio(short_speech_wav)
    with qtbot.waitSignal(service.job_failed, timeout=60000):
        ws.generate()
    assert "No face" in ws.status.text()
    assert ws.generate_button.isEnabled()
