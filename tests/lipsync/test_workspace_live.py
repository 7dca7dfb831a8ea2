"""Lipsync's Live tab on the real widgets over a CPU service and tiny models: a recorded WAV
played through the recorder seam as the microphone; the avatar talks in the preview with the
latency shown, Stop keeps the take (listed, played, in the gallery, a toast); no microphone
or no face is said clearly; a clip is taken as the avatar; a gallery entry's settings return."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")
av = pytest.importorskip("av")

from PySide6.QtCore import Qt  # noqa: E402

from studio.pipelines.lipsync.talk_feed import FileInputBackend  # noqa: E402
from studio.ui.workspaces.lipsync.speech import NO_MICROPHONE  # noqa: E402
from tests.ui.clicking import answer_file_dialog, click  # noqa: E402


class NoMicrophone:
    def devices(self):
        return []


class SpeakerThenRoom(FileInputBackend):
    """A microphone in front of someone who says the WAV and then keeps quiet: after the
    recording, faint room noise in real time until the recorder stops (a microphone never
    ends by itself)."""

    def read(self):
        block = super().read()
        if len(block):
            return block
        import time

        time.sleep(self._block / self._rate)
        return np.random.default_rng(self._pos).normal(0, 1e-3, (self._block, 1)).astype("f4")


@pytest.fixture
def service(start_cpu_service, lipsync_ctx):
    return start_cpu_service(lipsync_ctx.store)


@pytest.fixture
def workspaces():
    made = []
    yield made
    for ws in made:  # a take still running when a test failed must not outlive it
        ws.live.stop()


def _workspace(qtbot, service, backend, made):
    from studio.ui.workspaces.lipsync.recorder import RecorderController
    from studio.ui.workspaces.lipsync.workspace import LipsyncWorkspace

    ws = LipsyncWorkspace(service, service.store, recorder=RecorderController(backend))
    made.append(ws)
    qtbot.addWidget(ws)
    ws.resize(1200, 700)
    ws.show()
    qtbot.waitExposed(ws)
    return ws


def _live_tab(qtbot, ws):
    tabs = ws.mode_tabs
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(1).center())
    assert ws.actions_row.currentWidget() is ws.live.row and ws.live.start_button.isVisible()


def _avatar(qtbot, ws, path):
    with qtbot.waitSignal(ws.opened_file, timeout=20000):
        ws.set_avatar(path)


def test_talk_live_shows_the_avatar_then_stop_keeps_the_take(
    qtbot, service, workspaces, avatar_files, speech_wav
):
    ws = _workspace(qtbot, service, SpeakerThenRoom(speech_wav), workspaces)
    _avatar(qtbot, ws, avatar_files[1])
    _live_tab(qtbot, ws)
    start = ws.live.start_button
    assert start.text() == "Start talking"
    click(qtbot, start)
    assert start.text() == "Stop" and not ws.generate_button.isEnabled()
    # the avatar talks in the preview while the speech plays, the latency beside Stop
    qtbot.waitUntil(lambda: ws.live.latency.text().startswith("Mouth "), timeout=180000)
    assert not ws.preview.pixmap().isNull() and ws.view.currentWidget() is ws.preview
    assert ws.live.latency.text().endswith("ms behind your voice")
    assert ws.status.text() == "Listening… speak, then Stop to keep the take."
    assert not ws.generate_button.isEnabled() and start.isEnabled()
    with qtbot.waitSignal(ws.notify, timeout=120000) as toast:
        click(qtbot, start)  # Stop
        assert not start.isEnabled()  # until the take is saved
    take = ws.result_path
    assert toast.args == [f"Take saved to {take}"]
    assert take.is_file() and take.name.startswith("talk-") and take.parent.name == "renders"
    assert not list(take.parent.glob("*.part"))
    assert ws.status.text().startswith(f"Take kept: {take.name}")
    assert "behind your voice (95 % within" in ws.live.latency.text()
    assert start.text() == "Start talking" and start.isEnabled()
    with av.open(str(take)) as container:
        assert container.streams.video[0].average_rate == 25 and container.streams.audio
    # listed like a render: saved as..., and in the gallery with its settings
    assert ws.save_button.isEnabled()
    from studio.core.gallery import Gallery

    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    with Gallery() as gallery:
        entries = gallery.entries("lipsync")
    assert [e.outputs for e in entries] == [[str(take.resolve())]]
    assert entries[0].settings["mode"] == "live"
    assert entries[0].settings["avatar"] == str(avatar_files[1])


def test_no_microphone_says_so_and_starts_nothing(qtbot, service, workspaces, avatar_files):
    ws = _workspace(qtbot, service, NoMicrophone(), workspaces)
    _avatar(qtbot, ws, avatar_files[1])
    _live_tab(qtbot, ws)
    click(qtbot, ws.live.start_button)
    assert ws.status.text() == NO_MICROPHONE
    assert ws.live.latency.text() == "No microphone: Live needs one."
    assert ws.live.job_id is None and ws.live.start_button.text() == "Start talking"


def test_a_photo_without_a_face_says_so_and_keeps_no_file(
    qtbot, service, workspaces, avatar_files, speech_wav
):
    ws = _workspace(qtbot, service, FileInputBackend(speech_wav, realtime=False), workspaces)
    _avatar(qtbot, ws, avatar_files[0])
    _live_tab(qtbot, ws)
    with qtbot.waitSignal(service.job_failed, timeout=120000):
        click(qtbot, ws.live.start_button)
    assert "face" in ws.status.text().lower()
    assert ws.live.start_button.text() == "Start talking" and ws.result_path is None
    from studio.ui.workspaces.lipsync.live_talk import take_path

    assert not list(take_path().parent.glob("talk-*"))


def test_a_clip_is_taken_as_the_avatar_and_renders(
    qtbot, service, workspaces, short_speech_wav, tmp_path
):
    from tests.lipsync.test_video_avatar_v2 import _clip, _moving, _person

    clip = _clip(tmp_path / "me.mp4", [_moving(_person(), i) for i in range(6)])
    ws = _workspace(qtbot, service, NoMicrophone(), workspaces)
    with qtbot.waitSignal(ws.opened_file, timeout=20000) as opened:
        answer_file_dialog(qtbot, clip)
        click(qtbot, ws.pick_avatar_button)
    assert opened.args == [str(clip)] and ws.avatar_path == clip
    assert not ws.avatar_label.pixmap().isNull()  # its first frame
    assert ws.avatar_hint.text() == (
        "Video avatar: a 0.2 s clip, played forward and back as it talks."
    )
    ws.set_audio(short_speech_wav)
    qtbot.waitUntil(lambda: ws.generate_button.isEnabled(), timeout=20000)
    with qtbot.waitSignal(service.job_finished, timeout=180000) as finished:
        click(qtbot, ws.generate_button)
    assert finished.args[1].frames > 12 and ws.result_path.is_file()  # looped forward-back


def test_use_these_settings_again_restores_avatar_speech_and_look(
    qtbot, service, workspaces, avatar_files, short_speech_wav, tmp_path
):
    ws = _workspace(qtbot, service, NoMicrophone(), workspaces)
    settings = {
        "workspace": "lipsync",
        "avatar": str(avatar_files[1]),
        "audio": str(short_speech_wav),
        "mouth_scale": 1.4,
        "bbox_shift": -6,
        "smoothing": 0.5,
        "idle_motion": False,
    }
    with qtbot.waitSignal(ws.opened_file, timeout=20000):
        assert ws.apply_settings(settings) is True
    assert ws.avatar_path == avatar_files[1] and ws.audio_path == short_speech_wav
    assert (ws.mouth.value(), ws.shift.value(), ws.smoothing.value()) == (1.4, -6, 0.5)
    assert not ws.idle.isChecked()
    assert ws.apply_settings({**settings, "avatar": str(tmp_path / "gone.png")}) is False
    assert ws.status.text() == "The avatar gone.png of that result is no longer there."
    assert ws.apply_settings({"workspace": "canvas", "prompt": "a cat"}) is False
    assert ws.apply_settings({**settings, "mouth_scale": "loud"}) is False
