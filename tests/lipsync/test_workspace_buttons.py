"""Every Lipsync button clicked with the mouse on the real widgets, over the real CPU service
and tiny models, on a machine with no microphone: Record is disabled and says why; the photo
and the speech come through the real file dialogs; Generate, Cancel, Generate again, Play
(the player takes the view until the video ends) and Save as... (the save dialog typed into,
the file compared)."""

from __future__ import annotations

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
    for button in (ws.generate_button, ws.cancel_button, ws.play_button, ws.save_button):
        assert not button.isEnabled(), button.text()

    # The photo and the speech through the real file dialogs.
    answer_file_dialog(qtbot, avatar_files[1])
    click(qtbot, ws.pick_avatar_button)
    assert ws.avatar_path == avatar_files[1]
    qtbot.waitUntil(lambda: not ws.avatar_label.pixmap().isNull(), timeout=10000)
    assert ws.avatar_label.pixmap().width() == 200  # the preview, decoded on a worker
    assert not ws.generate_button.isEnabled()  # no speech yet
    answer_file_dialog(qtbot, short_speech_wav)
    click(qtbot, ws.speech.pick_audio_button)
    assert ws.audio_path == short_speech_wav
    assert ws.speech.audio_label.text() == short_speech_wav.name

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

    # Play: the player takes the view, and gives it back to the preview at the end.
    if ws.player is None:
        pytest.skip("QtMultimedia is not available here (pyside6-addons, libpulse0)")
    click(qtbot, ws.play_button)
    assert ws.view.currentWidget() is ws.player_widget
    qtbot.waitUntil(lambda: ws.view.currentWidget() is ws.preview, timeout=30000)

    # Save as...: the dialog typed into; the copy equals the render, nothing else is left.
    out = tmp_path / "saved"
    out.mkdir()
    answer_file_dialog(qtbot, out / "talking.mp4")
    click(qtbot, ws.save_button)
    qtbot.waitUntil(lambda: ws.status.text().startswith("Saved"), timeout=10000)
    assert ws.status.text() == f"Saved {out / 'talking.mp4'}"
    assert (out / "talking.mp4").read_bytes() == ws.result_path.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["talking.mp4"]
    assert ws.save_button.isEnabled()
