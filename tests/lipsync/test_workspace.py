"""The Lipsync panel offscreen over a real CPU InferenceService, tiny models, a fake microphone."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from studio.pipelines.lipsync.recorder import InputDevice  # noqa: E402
from tests.ui.mnemonics import assert_unique_mnemonics  # noqa: E402


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


def _click(qtbot, button):
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_record_then_render_and_save(qtbot, service, avatar_files, short_speech_wav, tmp_path):
    ws = _workspace(qtbot, service, FakeMic())
    speech = ws.speech
    assert speech.device_box.currentText() == "Fake mic"
    assert speech.record_button.isEnabled() and speech.record_button.text() == "Record"
    assert not ws.generate_button.isEnabled()
    ws.set_avatar(avatar_files[1])
    speech.max_len.setValue(1)
    with qtbot.waitSignal(ws.recorder.finished, timeout=10000):
        _click(qtbot, speech.record_button)
        assert speech.record_button.text() == "Stop"
    ws.recorder.join()
    assert speech.record_button.text() == "Record" and speech.meter.value() == 0
    assert ws.audio_path is not None and ws.audio_path.suffix == ".wav"
    assert ws.audio_path.is_file() and not list(ws.audio_path.parent.glob("*.part"))
    assert speech.audio_label.text().startswith(ws.audio_path.name)
    ws.set_audio(short_speech_wav)  # real speech for the render
    assert ws.generate_button.isEnabled()
    with qtbot.waitSignal(service.job_finished, timeout=120000):
        _click(qtbot, ws.generate_button)
    assert ws.result_path is not None and ws.result_path.is_file()
    assert "Done" in ws.status.text() and ws.progress.value() == ws.progress.maximum()
    assert ws.save_button.isEnabled()
    out = tmp_path / "out"
    out.mkdir()
    ws.save_result(out / "mine")  # the extension is added
    qtbot.waitUntil(lambda: ws.status.text().startswith("Saved"), timeout=10000)
    assert (out / "mine.mp4").read_bytes() == ws.result_path.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["mine.mp4"]  # no temporary left


def test_unplugged_microphone_keeps_the_recording(qtbot, service):
    ws = _workspace(qtbot, service, FakeMic(lose_after=30))
    with qtbot.waitSignal(ws.recorder.failed, timeout=10000):
        _click(qtbot, ws.speech.record_button)
    ws.recorder.join()
    assert "disappeared" in ws.status.text() and "Saved as" in ws.status.text()
    assert ws.audio_path is not None and ws.audio_path.is_file()
    assert ws.speech.record_button.text() == "Record"


def test_bad_avatar_shows_the_message(qtbot, service, avatar_files, short_speech_wav):
    ws = _workspace(qtbot, service, FakeMic())
    ws.set_avatar(avatar_files[0])
    ws.set_audio(short_speech_wav)
    with qtbot.waitSignal(service.job_failed, timeout=60000):
        _click(qtbot, ws.generate_button)
    assert "No face" in ws.status.text()
    assert ws.generate_button.isEnabled()


def test_generate_with_an_input_gone_says_so(
    qtbot, service, avatar_files, short_speech_wav, tmp_path
):
    """A photo deleted after it was chosen: a message, no job, no assert."""
    import shutil

    ws = _workspace(qtbot, service, FakeMic())
    photo = tmp_path / "me.png"
    shutil.copyfile(avatar_files[1], photo)
    ws.set_avatar(photo)
    ws.set_audio(short_speech_wav)
    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)  # both read and checked
    photo.unlink()
    _click(qtbot, ws.generate_button)
    assert ws.status.text() == "The avatar photo me.png is no longer there: choose it again."
    assert ws.job_id is None and ws.generate_button.isEnabled()


def test_save_as_never_replaces_an_input_and_reports_a_failed_copy(
    qtbot, service, avatar_files, tmp_path
):
    """``save_result`` refuses the speech file as a target, and a copy that fails (target
    in a folder that cannot exist) is a message with the existing file untouched."""
    import shutil

    from tests.lipsync.sounds import write_tone

    ws = _workspace(qtbot, service, FakeMic())
    video = tmp_path / "render.mp4"
    video.write_bytes(b"video bytes")
    speech = write_tone(tmp_path / "speech.mp4", 1.0)
    spoken = speech.read_bytes()
    ws.set_avatar(avatar_files[1])
    ws.set_audio(speech)
    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    assert ws.audio_path == speech
    ws.result_path = video  # as a finished render leaves it
    ws.save_result(speech)
    assert "is the avatar or speech file" in ws.status.text()
    assert speech.read_bytes() == spoken
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ws.save_result(blocker / "out.mp4")
    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    assert ws.status.text().startswith("Could not write out.mp4")
    assert ws.save_button.isEnabled()
    keep = tmp_path / "keep.mp4"
    keep.write_bytes(b"old")
    video.unlink()
    ws.save_result(keep)
    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    assert "no longer there" in ws.status.text() and keep.read_bytes() == b"old"
    shutil.rmtree(tmp_path / "file", ignore_errors=True)


def _make_pack(root, avatar_png, flagged=(1,)):
    """A saved headshot pack (real on-disk layout) with two portraits; ``flagged`` ones flagged."""
    import shutil

    from studio.pipelines.headshots.packs import Pack, PackImage

    folder = root / "pack-1"
    (folder / "drafts").mkdir(parents=True)
    for i in (0, 1):
        shutil.copyfile(avatar_png, folder / "drafts" / f"{i:03d}.jpg")
    images = [
        PackImage(i, i + 1, f"drafts/{i:03d}.jpg", f"latents/{i:03d}.npy", id_score=0.7 - i / 10)
        for i in (0, 1)
    ]
    for i in flagged:
        images[i].flags = ["blurred"]
    Pack(folder, "studio", "a portrait", "", {}, {}, [], images=images).save()
    return folder


def test_pack_portraits_lists_flagged_images_last_and_marked(tmp_path, avatar_files):
    from studio.ui.workspaces.lipsync.pack_picker import Portrait, heading_text, pack_portraits

    folder = _make_pack(tmp_path, avatar_files[1])
    found = pack_portraits(tmp_path)
    assert found.packs == 1 and found.portraits == [
        Portrait("studio #1", folder / "drafts" / "000.jpg"),
        Portrait("studio #2 (flagged)", folder / "drafts" / "001.jpg", ("blurred",)),
    ]
    assert "flagged" in heading_text(found) and "Pick a portrait" in heading_text(found)
    empty = pack_portraits(tmp_path / "none")
    assert empty.packs == 0 and empty.portraits == []
    assert heading_text(empty).startswith("No headshot packs yet")


def test_pack_portraits_keeps_to_files_inside_the_pack(tmp_path, avatar_files):
    """An edited pack.json naming a file outside its pack does not offer that file."""
    import json

    folder = _make_pack(tmp_path / "packs", avatar_files[1], flagged=())
    outside = tmp_path / "secret.jpg"
    outside.write_bytes((folder / "drafts" / "000.jpg").read_bytes())
    manifest = next(folder.glob("*.json"))
    data = json.loads(manifest.read_text())
    data["images"][0]["draft"] = "../../secret.jpg"
    manifest.write_text(json.dumps(data))
    from studio.ui.workspaces.lipsync.pack_picker import pack_portraits

    # The pack loader refuses a manifest that points outside its pack (a damaged pack), so
    # nothing outside is ever offered, whatever else the pack holds.
    offered = [p.path for p in pack_portraits(tmp_path / "packs").portraits]
    assert outside not in offered
    assert all(path.resolve().is_relative_to(folder.resolve()) for path in offered)


def test_picker_shows_a_pack_whose_images_are_all_flagged(qtbot, tmp_path, avatar_files):
    from studio.ui.workspaces.lipsync.pack_picker import PackPicker

    _make_pack(tmp_path, avatar_files[1], flagged=(0, 1))
    picker = PackPicker(tmp_path)
    qtbot.addWidget(picker)
    assert picker.heading.text().startswith("1 pack, all images flagged")
    assert picker.list.count() == 2
    assert all("(flagged)" in picker.list.item(i).text() for i in range(2))
    assert "blurred" in picker.list.item(0).toolTip()
    picker.show()
    assert assert_unique_mnemonics(picker) == {"u": "&Use this portrait", "c": "&Cancel"}
    picker.workers.wait()


def test_pick_from_pack_render_and_screenshot(
    qtbot, service, avatar_files, short_speech_wav, tmp_path
):
    """Avatar from a headshot pack (the picker's OK clicked; the picker is deleted after use,
    not left as one more child per click), audio, a finished render; the panel's screenshot is
    saved (to $LIPSYNC_SCREENSHOT when set, for a look at the layout)."""
    import os

    from PySide6.QtCore import QCoreApplication, QEvent, QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox

    from studio.ui.workspaces.lipsync.pack_picker import PackPicker

    folder = _make_pack(tmp_path / "packs", avatar_files[1])
    ws = _workspace(qtbot, service, FakeMic())
    ws.packs_root = lambda: tmp_path / "packs"
    ws.resize(1000, 640)
    seen = []

    def accept_picker():
        picker = QApplication.activeModalWidget()
        if not isinstance(picker, PackPicker):
            QTimer.singleShot(10, accept_picker)
            return
        seen.append(picker.list.count())
        ok = picker.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    for _ in range(2):  # twice: no picker may stay behind
        QTimer.singleShot(0, accept_picker)
        _click(qtbot, ws.from_pack_button)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert seen == [2, 2] and ws.findChildren(PackPicker) == []
    assert ws.avatar_path == folder / "drafts" / "000.jpg"
    ws.set_audio(short_speech_wav)
    with qtbot.waitSignal(service.job_finished, timeout=120000):
        _click(qtbot, ws.generate_button)
    assert "Done" in ws.status.text()
    qtbot.wait(300)
    shot = ws.grab()
    assert not shot.isNull() and shot.width() == 1000
    target = os.environ.get("LIPSYNC_SCREENSHOT") or str(tmp_path / "panel.png")
    assert shot.save(target)


def test_a_photo_that_cannot_be_read_says_so(qtbot, service, tmp_path):
    ws = _workspace(qtbot, service, FakeMic())
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    ws.set_avatar(bad)
    qtbot.waitUntil(lambda: ws.avatar_label.text() == "Cannot show this photo", timeout=10000)
    assert ws.status.text().startswith("The photo notes.png could not be read")
