"""Lipsync's speech player and File menu part, on the real widgets: a WAV made here is loaded
through the file dialog and shows its length; the Play button plays and pauses it, a click on
the slider seeks, Left steps back, Space with the focus left on the slider plays and pauses;
files that cannot be used say why; File > Open takes a photo or a speech file."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.ui.shell import workspace_actions  # noqa: E402
from tests.lipsync.sounds import write_tone  # noqa: E402
from tests.ui.clicking import answer_file_dialog, click  # noqa: E402


class NoMicrophone:
    def devices(self):
        return []


@pytest.fixture
def workspace(qtbot, start_cpu_service, store):
    from studio.ui.workspaces.lipsync.recorder import RecorderController
    from studio.ui.workspaces.lipsync.workspace import LipsyncWorkspace

    service = start_cpu_service(store)
    ws = LipsyncWorkspace(service, store, recorder=RecorderController(NoMicrophone()))
    qtbot.addWidget(ws)
    ws.resize(1100, 600)
    ws.show()
    qtbot.waitExposed(ws)
    return ws


def needs_player(bar):
    if bar.player is None:
        pytest.skip("QtMultimedia is not available here (pyside6-addons, libpulse0)")
    return bar.player


def test_loaded_speech_shows_its_length_plays_pauses_and_seeks(qtbot, workspace, tmp_path):
    from PySide6.QtMultimedia import QMediaPlayer

    ws = workspace
    bar = ws.speech.player_bar
    assert not bar.play_button.isEnabled() and bar.time_label.text() == "0:00.0 / 0:00.0"
    tone = write_tone(tmp_path / "tone.wav", 2.5)
    answer_file_dialog(qtbot, tone)
    click(qtbot, ws.speech.pick_audio_button)
    qtbot.waitUntil(lambda: ws.speech.audio_label.text() == "tone.wav (2.5 s)", timeout=10000)
    assert ws.audio_path == tone and ws.status.text() == ""

    player = needs_player(bar)
    qtbot.waitUntil(lambda: player.duration() > 0, timeout=10000)
    assert abs(player.duration() - 2500) <= 50
    assert bar.time_label.text() == "0:00.0 / 0:02.5" and bar.slider.maximum() == player.duration()

    # The Play button plays; clicked again (now "Pause") it pauses.
    playing = QMediaPlayer.PlaybackState.PlayingState
    paused = QMediaPlayer.PlaybackState.PausedState
    click(qtbot, bar.play_button)
    qtbot.waitUntil(lambda: player.playbackState() == playing)
    assert bar.play_button.text() == "Pause"
    click(qtbot, bar.play_button)
    qtbot.waitUntil(lambda: player.playbackState() == paused)
    assert bar.play_button.text() == "Play"

    # A click at 80 % of the slider seeks there; Left steps back 5 s (to the start).
    slider = bar.slider
    at = QPoint(int(slider.width() * 0.8), slider.height() // 2)
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: abs(player.position() - 2000) <= 300, timeout=5000)
    shown = bar.time_label.text()
    assert shown.endswith(" / 0:02.5") and 1.7 <= float(shown.split(" ")[0][2:]) <= 2.3
    ws.activateWindow()  # as the window manager does once the file dialog has gone
    qtbot.waitUntil(lambda: QApplication.activeWindow() is ws)
    assert QApplication.focusWidget() is slider  # where the click left it
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: player.position() == 0, timeout=5000)
    assert bar.time_label.text() == "0:00.0 / 0:02.5"

    # Space there plays and pauses (the slider does not take Space; the page does).
    qtbot.keyClick(slider, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.playbackState() == playing)
    qtbot.keyClick(slider, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.playbackState() == paused)


@pytest.mark.parametrize(
    ("ms", "tenths", "shown"),
    [
        (83_500, False, "1:23"),
        (3_723_000, False, "1:02:03"),
        (2_540, True, "0:02.5"),
        (0, True, "0:00.0"),
    ],
)
def test_times_read_as_minutes_and_seconds(ms, tenths, shown):
    from studio.ui.widgets.media_player import format_time

    assert format_time(ms, tenths) == shown


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("notes.wav", lambda p: p.write_text("not sound"), "Cannot read 'notes.wav'"),
        ("quiet.wav", lambda p: write_tone(p, 2.0, level=0.0), "is silent or nearly silent"),
        ("blip.wav", lambda p: write_tone(p, 0.2), "it must be at least 0.5 s"),
    ],
)
def test_speech_that_cannot_be_used_says_why(qtbot, workspace, tmp_path, name, make, message):
    ws = workspace
    path = tmp_path / name
    make(path)
    answer_file_dialog(qtbot, path)
    click(qtbot, ws.speech.pick_audio_button)
    qtbot.waitUntil(lambda: ws.speech.audio_label.text() == f"{name} cannot be used", timeout=10000)
    assert message in ws.status.text()
    assert ws.audio_path is None and not ws.generate_button.isEnabled()
    assert not ws.speech.player_bar.play_button.isEnabled()


def test_file_open_takes_a_photo_or_speech_and_names_what_it_cannot(
    qtbot, workspace, avatar_files, tmp_path
):
    ws = workspace
    assert workspace_actions.action_enabled(ws, "open")
    assert not workspace_actions.action_enabled(ws, "export")  # nothing rendered yet
    assert not workspace_actions.action_enabled(ws, "undo")
    assert "Space" in dict(ws.shortcut_list())
    with qtbot.waitSignal(ws.opened_file, timeout=10000) as opened:
        answer_file_dialog(qtbot, avatar_files[1])
        assert workspace_actions.run_action(ws, "open")
    assert opened.args == [str(avatar_files[1])] and ws.avatar_path == avatar_files[1]
    assert ws.avatar_label.pixmap().width() == 160

    tone = write_tone(tmp_path / "speech.m4a", 1.0)
    with qtbot.waitSignal(ws.opened_file, timeout=10000) as opened:
        assert ws.open_path(tone)
    assert opened.args == [str(tone)] and ws.speech.audio_label.text().startswith("speech.m4a (1.")
    assert ws.generate_button.isEnabled()

    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert not ws.open_path(notes)
    assert ws.status.text().startswith("notes.txt is neither a photo nor a speech file")
    assert not ws.open_path(tmp_path / "gone.png")
    assert ws.status.text() == "gone.png is no longer there."
