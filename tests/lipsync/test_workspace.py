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
def service(start_cpu_service, lipsync_ctx):
    return start_cpu_service(lipsync_ctx.store)


def _workspace(qtbot, service, mic):
    from studio.ui.workspaces.lipsync.recorder import RecorderController
    from studio.ui.workspaces.lipsync.workspace import LipsyncWorkspace

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


def _make_pack(root, avatar_png):
    """A saved headshot pack (real on-disk layout) with two portraits, one flagged."""
    import shutil

    from studio.pipelines.headshots.packs import Pack, PackImage

    folder = root / "pack-1"
    (folder / "drafts").mkdir(parents=True)
    for i in (0, 1):
        shutil.copyfile(avatar_png, folder / "drafts" / f"{i:03d}.jpg")
    images = [
        PackImage(0, 1, "drafts/000.jpg", "latents/000.npy", id_score=0.7),
        PackImage(1, 2, "drafts/001.jpg", "latents/001.npy", flags=["blurred"]),
    ]
    Pack(folder, "studio", "a portrait", "", {}, {}, [], images=images).save()
    return folder


def test_pack_portraits_lists_unflagged_images(tmp_path, avatar_files):
    from studio.ui.workspaces.lipsync.pack_picker import pack_portraits

    folder = _make_pack(tmp_path, avatar_files[1])
    assert pack_portraits(tmp_path) == [("studio #0", folder / "drafts" / "000.jpg")]
    assert pack_portraits(tmp_path / "none") == []


def test_pick_from_pack_render_and_screenshot(
    qtbot, service, avatar_files, short_speech_wav, tmp_path, monkeypatch
):
    """Avatar from a headshot pack, audio, a finished render; the panel's screenshot is saved
    (to $LIPSYNC_SCREENSHOT when set, for a look at the layout)."""
    import os

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.workspaces.lipsync.pack_picker import PackPicker

    folder = _make_pack(tmp_path / "packs", avatar_files[1])
    ws = _workspace(qtbot, service, FakeMic())
    ws.packs_root = lambda: tmp_path / "packs"
    ws.resize(1000, 640)

    def accept_picker():
        picker = next(w for w in QApplication.topLevelWidgets() if isinstance(w, PackPicker))
        assert picker.list.count() == 1
        picker.accept()

    QTimer.singleShot(200, accept_picker)
    ws.choose_from_pack()
    assert ws.avatar_path == folder / "drafts" / "000.jpg"
    ws.set_audio(short_speech_wav)
    with qtbot.waitSignal(service.job_finished, timeout=120000):
        ws.generate()
    assert "Done" in ws.status.text()
    qtbot.wait(300)
    shot = ws.grab()
    assert not shot.isNull()
    target = os.environ.get("LIPSYNC_SCREENSHOT") or str(tmp_path / "panel.png")
    assert shot.save(target)
