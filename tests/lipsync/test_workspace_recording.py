"""Lipsync's Record button through the recorder's backend seam: no microphone listed, a
microphone that cannot be opened or fails on the way, a recording that cannot be saved.
Every failure reaches the status line and the button comes back to "Record"."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from studio.pipelines.lipsync.recorder import InputDevice  # noqa: E402
from studio.ui.workspaces.lipsync.speech import NO_MICROPHONE  # noqa: E402


class Mic:
    """A scripted input backend: ``devices`` to list, and what ``open``/``read`` raise."""

    def __init__(self, devices=True, open_error=None, read_error=None, list_error=None):
        self._devices = [InputDevice(2, "Desk mic", 1, 48000)] if devices else []
        self.open_error, self.read_error, self.list_error = open_error, read_error, list_error
        self.closed = False

    def devices(self):
        if self.list_error is not None:
            raise self.list_error
        return self._devices

    def open(self, device, rate, channels, block):
        if self.open_error is not None:
            raise self.open_error
        self.block = block

    def read(self):
        import time

        if self.read_error is not None:
            raise self.read_error
        time.sleep(0.005)  # a block's worth of waiting, roughly, as a device does
        return np.zeros((self.block, 1), np.float32)

    def close(self):
        self.closed = True


def _speech_box(qtbot, mic):
    from studio.ui.workspaces.lipsync.recorder import RecorderController
    from studio.ui.workspaces.lipsync.speech import SpeechBox

    box = SpeechBox(RecorderController(mic))
    messages = []
    box.message.connect(messages.append)
    qtbot.addWidget(box)
    box.show()
    return box, messages


def _record_until_it_ends(qtbot, box):
    with qtbot.waitSignal(box.recorder.failed, timeout=10000) as failed:
        qtbot.mouseClick(box.record_button, Qt.MouseButton.LeftButton)
        assert box.record_button.text() == "Stop"
    box.recorder.join()
    return failed.args[0]


@pytest.mark.parametrize(
    "mic",
    [Mic(devices=False), Mic(list_error=OSError("PortAudio not initialized"))],
    ids=["no-device-listed", "listing-fails"],
)
def test_no_microphone_disables_record_and_says_why(qtbot, mic):
    box, messages = _speech_box(qtbot, mic)
    assert not box.record_button.isEnabled() and box.record_button.text() == "Record"
    assert box.record_button.toolTip() == NO_MICROPHONE
    assert box.device_box.currentText() == "No microphone found"
    assert not box.device_box.isEnabled()
    qtbot.mouseClick(box.record_button, Qt.MouseButton.LeftButton)  # a disabled button
    assert messages == [] and box.recorder.recorder is None


def test_a_microphone_plugged_in_later_is_listed_when_the_page_is_shown(qtbot):
    mic = Mic(devices=False)
    box, _messages = _speech_box(qtbot, mic)
    assert not box.record_button.isEnabled()
    box.hide()
    mic._devices = [InputDevice(5, "USB mic", 1, 44100)]
    box.show()
    assert box.record_button.isEnabled() and box.device_box.currentText() == "USB mic"
    assert box.record_button.toolTip() == "Record speech from the microphone"


def test_microphone_that_cannot_open_gives_a_message_and_record_comes_back(qtbot):
    mic = Mic(open_error=OSError("Device unavailable [PaErrorCode -9985]"))
    box, messages = _speech_box(qtbot, mic)
    message = _record_until_it_ends(qtbot, box)
    assert message.startswith("Cannot open the microphone: Device unavailable")
    assert messages == ["Recording…", message]
    assert box.record_button.text() == "Record" and box.record_button.isEnabled()


def test_portaudio_error_while_recording_is_a_message_not_a_dead_thread(qtbot):
    """PortAudioError is not an OSError: it used to end the thread with no message."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        pytest.skip(f"sounddevice/PortAudio unavailable: {exc}")
    box, messages = _speech_box(qtbot, Mic(read_error=sd.PortAudioError("Stream is stopped")))
    message = _record_until_it_ends(qtbot, box)
    assert message.startswith("Recording failed (Stream is stopped)")
    assert messages[-1] == message and box.record_button.text() == "Record"
    assert box.recorder.recorder.backend.closed


def test_an_unexpected_error_while_recording_is_a_message(qtbot):
    box, messages = _speech_box(qtbot, Mic(read_error=RuntimeError("driver bug")))
    message = _record_until_it_ends(qtbot, box)
    assert message.startswith("Recording failed (driver bug)")
    assert box.record_button.text() == "Record"


def test_a_recording_that_cannot_be_saved_says_so(qtbot, tmp_path, monkeypatch):
    """The data folder under a regular file: the WAV cannot be written (an OSError on the
    recorder thread, which used to kill it silently)."""
    blocker = tmp_path / "home"
    blocker.write_text("not a folder")
    monkeypatch.setenv("STUDIO_HOME", str(blocker))
    box, messages = _speech_box(qtbot, Mic())
    box.max_len.setValue(1)
    message = _record_until_it_ends(qtbot, box)
    assert message.startswith("The recording could not be saved. Could not write recording-")
    assert box.record_button.text() == "Record" and box.meter.value() == 0
    assert blocker.read_text() == "not a folder"


def test_stop_keeps_what_was_recorded(qtbot):
    box, messages = _speech_box(qtbot, Mic())
    box.max_len.setValue(300)
    recorded = []
    box.audio_chosen.connect(recorded.append)
    with qtbot.waitSignal(box.recorder.finished, timeout=10000) as finished:
        qtbot.mouseClick(box.record_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.recorder.recorder is not None)
        qtbot.mouseClick(box.record_button, Qt.MouseButton.LeftButton)  # "Stop"
    box.recorder.join()
    assert recorded == [finished.args[0]] and recorded[0].endswith(".wav")
    assert messages[-1].startswith("Recorded recording-")
    assert box.record_button.text() == "Record"
