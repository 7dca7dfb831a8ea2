"""Every Lipsync button clicked with the mouse on the real widgets, over the real CPU service
and tiny models, on a machine with no microphone: Record is disabled and says why; the photo
and the speech come through the real file dialogs; Generate, Cancel, Generate again, the
video's Play / Pause and slider (the player takes the view), Save as... (the save dialog typed
into, the file compared, a "Saved to" notice) and File > Export (into the same folder)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from tests.ui.clicking import answer_file_dialog, click


class NoMicrophone:
    """An input backend on a machine without a microphone."""

    def devices(self):
        return []


@pytest.fixture
def service(start_cpu_service, lipsync_ctx):
    return start_cpu_service(lipsync_ctx.store)


def test_every_button_without_a_microphone(
    qtbot, service, avatar_files, short_speech_wav, tmp_path
):
    from studio.ui.workspaces.lipsync.recorder import RecorderController
    from studio.ui.workspaces.lipsync.speech import NO_MICROPHONE
    from studio.ui.workspaces.lipsync.workspace import LipsyncWorkspace

    ws = LipsyncWorkspace(service, service.store, recorder=RecorderController(NoMicrophone()))
    qtbot.addWidget(ws)
    ws.resize(1000, 640)
    ws.show()

    # Record: disabled, and its tooltip says why; a click does nothing.
    record = ws.speech.record_button
    assert not record.isEnabled() and record.toolTip() == NO_MICROPHONE
    qtbot.mouseClick(record, Qt.MouseButton.LeftButton)
    assert record.text() == "Record" and ws.status.text() == ""
    play = ws.result_bar.play_button
    for button in (ws.generate_button, ws.cancel_button, play, ws.save_button):
        assert not button.isEnabled(), button.text()

    # The photo and the speech through the real file dialogs.
    answer_file_dialog(qtbot, avatar_files[1])
    click(qtbot, ws.pick_avatar_button)
    assert ws.avatar_path == avatar_files[1]
    qtbot.waitUntil(lambda: not ws.avatar_label.pixmap().isNull(), timeout=10000)
    assert ws.avatar_label.pixmap().width() == 160  # the preview, decoded on a worker
    assert not ws.generate_button.isEnabled()  # no speech yet
    answer_file_dialog(qtbot, short_speech_wav)
    click(qtbot, ws.speech.pick_audio_button)
    assert ws.audio_path == short_speech_wav
    qtbot.waitUntil(lambda: ws.speech.audio_label.text().endswith(" s)"), timeout=10000)
    assert ws.speech.audio_label.text().startswith(short_speech_wav.name + " (")

    # Generate, then Cancel at once: nothing is written.
    with qtbot.waitSignal(service.job_cancelled, timeout=60000):
        click(qtbot, ws.generate_button)
        assert not ws.generate_button.isEnabled()
        click(qtbot, ws.cancel_button)
    assert ws.status.text() == "Cancelled; nothing was written."
    assert ws.result_path is None and ws.generate_button.isEnabled()

    # Generate again, to the end.
    with qtbot.waitSignal(service.job_finished, timeout=120000):
        click(qtbot, ws.generate_button)
    assert ws.status.text().startswith("Done:") and ws.result_path.is_file()

    # Play: the player takes the view and keeps it; Pause; a click on the slider seeks.
    if ws.player is None:
        pytest.skip("QtMultimedia is not available here (pyside6-addons, libpulse0)")
    from PySide6.QtCore import QPoint
    from PySide6.QtMultimedia import QMediaPlayer

    player = ws.player
    qtbot.waitUntil(lambda: player.duration() > 0, timeout=10000)
    click(qtbot, play)
    assert ws.view.currentWidget() is ws.player_widget
    qtbot.waitUntil(lambda: player.playbackState() == QMediaPlayer.PlaybackState.PlayingState)
    click(qtbot, play)
    qtbot.waitUntil(lambda: player.playbackState() == QMediaPlayer.PlaybackState.PausedState)
    slider = ws.result_bar.slider
    qtbot.mouseClick(
        slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() // 2, slider.height() // 2)
    )
    half = player.duration() / 2
    qtbot.waitUntil(lambda: abs(player.position() - half) <= 0.15 * half, timeout=5000)
    assert ws.view.currentWidget() is ws.player_widget
    # The video widget is given the frame at the new position (the render's size).
    import av

    with av.open(str(ws.result_path)) as container:
        stream = container.streams.video[0]
        size = (stream.codec_context.width, stream.codec_context.height)
    sink = ws.video.videoSink()
    qtbot.waitUntil(lambda: sink.videoFrame().isValid(), timeout=5000)
    assert sink.videoFrame().size().toTuple() == size
    qtbot.wait(200)  # a look: $LIPSYNC_PLAYER_SCREENSHOT
    target = os.environ.get("LIPSYNC_PLAYER_SCREENSHOT") or str(tmp_path / "player.png")
    assert ws.grab().save(target)

    # Save as...: the dialog typed into; the copy equals the render, nothing else is left.
    out = tmp_path / "saved"
    out.mkdir()
    answer_file_dialog(qtbot, out / "talking.mp4")
    with qtbot.waitSignal(ws.notify, timeout=10000) as notice:
        click(qtbot, ws.save_button)
    assert notice.args == [f"Saved to {out / 'talking.mp4'}"]
    assert ws.status.text() == f"Saved {out / 'talking.mp4'}"
    assert (out / "talking.mp4").read_bytes() == ws.result_path.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["talking.mp4"]
    assert ws.save_button.isEnabled()

    # The gallery: the finished render (recorded on the I/O worker) and the saved copy
    # (recorded before "Saved" was said), newest first, with the render's settings.
    from studio.core.gallery import Gallery

    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    with Gallery() as gallery:
        entries = gallery.entries("lipsync")
    assert [(e.workspace, e.kind) for e in entries] == [
        ("lipsync", "export"),
        ("lipsync", "render"),
    ]
    saved, render = entries
    assert saved.outputs == [str((out / "talking.mp4").resolve())]
    assert render.outputs == [str(ws.result_path.resolve())]
    for entry in entries:
        assert entry.settings["avatar"] == str(ws.avatar_path)
        assert entry.settings["audio"] == str(ws.audio_path)
        assert entry.settings["mouth_scale"] == ws.mouth.value() and entry.prompt == ""
        assert len(entry.models["musetalk-v15"]) == 64  # installed: with its hash

    # File > Export: into the same folder under the render's name, without asking.
    from studio.ui.shell import workspace_actions

    with qtbot.waitSignal(ws.notify, timeout=10000) as notice:
        assert workspace_actions.run_action(ws, "export")
    assert notice.args == [f"Saved to {out / ws.result_path.name}"]
    assert (out / ws.result_path.name).read_bytes() == ws.result_path.read_bytes()
