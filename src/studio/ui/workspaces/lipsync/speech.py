"""Lipsync's Speech box: load an audio file, or record one from a microphone.

A loaded file is checked on the I/O workers (the workspace runs the check); the box shows its
length, or that it cannot be used, and a small player to listen to it.

Record is enabled only when a microphone is listed (its tooltip says why not). A recording
that cannot start or fails on the way says so in a message and the button returns to
"Record": every recording ends in ``RecorderController.finished`` or ``failed``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from studio.ui.widgets.media_player import MediaBar, format_time
from studio.ui.workspaces.lipsync.recorder import RecorderController

log = logging.getLogger(__name__)
NO_MICROPHONE = (
    "No microphone was found. Connect one and come back to this page, or load an audio file."
)
AUDIO_FILTER = "Audio (*.wav *.mp3 *.m4a *.ogg *.flac)"


class FileLabel(QLabel):
    """One line "name (what)": a long name is shortened in the middle to the width the label
    gets, never widening the panel; ``text()`` and the tooltip keep it whole."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(80)
        self.name, self.suffix = text, ""

    def set_parts(self, name: str, suffix: str) -> None:
        self.name, self.suffix = name, suffix
        self.setText(f"{name} {suffix}")

    def shown_text(self) -> str:
        """What fits: the name shortened, the suffix (length, state) always whole."""
        metrics = self.fontMetrics()
        tail = f" {self.suffix}" if self.suffix else ""
        room = self.contentsRect().width() - metrics.horizontalAdvance(tail)
        return metrics.elidedText(self.name, Qt.TextElideMode.ElideMiddle, max(0, room)) + tail

    def paintEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.contentsRect(), align, self.shown_text())
        painter.end()


def default_recordings_dir() -> Path:
    from studio.core.paths import data_dir

    return data_dir() / "lipsync" / "recordings"


class SpeechBox(QGroupBox):
    """The speech inputs; ``audio_chosen(path)`` for a loaded or recorded file, ``message``
    for the status line."""

    audio_chosen = Signal(str)
    message = Signal(str)

    def __init__(self, recorder: RecorderController, parent: QWidget | None = None) -> None:
        super().__init__("Speech", parent)
        self.recorder = recorder
        self.recording = False
        self.has_microphone = False
        self.audio_label = FileLabel("No speech loaded")
        self.pick_audio_button = QPushButton("Load audio…")
        self.pick_audio_button.clicked.connect(lambda: self._choose_audio())
        self.device_box = QComboBox()
        self.max_len = QSpinBox()
        self.max_len.setRange(1, 300)
        self.max_len.setValue(60)
        self.max_len.setSuffix(" s max")
        self.record_button = QPushButton("Record")
        self.record_button.clicked.connect(lambda: self.toggle_recording())
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        form = QFormLayout(self)
        loaded = QHBoxLayout()
        loaded.addWidget(self.audio_label, 1)
        loaded.addWidget(self.pick_audio_button)
        form.addRow("File", loaded)
        mic = QHBoxLayout()
        mic.addWidget(self.device_box, 1)
        mic.addWidget(self.max_len)
        mic.addWidget(self.record_button)
        form.addRow("Microphone", mic)
        form.addRow("Level", self.meter)
        self.player_bar = MediaBar("speech")
        form.addRow("Listen", self.player_bar)
        recorder.level.connect(self._on_level)
        recorder.finished.connect(self._on_recorded)
        recorder.failed.connect(self._on_record_failed)
        # The microphones are listed when the box is first shown (see showEvent), not here:
        # asking the audio system loads PortAudio, too slow for the window's start-up.
        self._update_record_button()

    def show_audio(self, path: Path) -> None:
        """``path`` was chosen: shown at once, its length once :meth:`show_checked` comes."""
        self.audio_label.set_parts(Path(path).name, "(checking…)")
        self.audio_label.setToolTip(str(path))
        self.player_bar.set_source(None)

    def show_checked(self, path: Path, seconds: float) -> None:
        """The speech at ``path`` is usable and ``seconds`` long: its length, and the player."""
        length = f"{seconds:.1f} s" if seconds < 60 else format_time(seconds * 1000)
        self.audio_label.set_parts(Path(path).name, f"({length})")
        self.audio_label.setToolTip(f"{path}\n{seconds:.1f} s")
        self.player_bar.set_source(path, int(seconds * 1000))

    def show_unusable(self, path: Path) -> None:
        self.audio_label.set_parts(Path(path).name, "cannot be used")
        self.player_bar.set_source(None)

    def _choose_audio(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Speech", "", AUDIO_FILTER)
        if path:
            self.audio_chosen.emit(path)

    # -- microphone -----------------------------------------------------------------------
    def refresh_devices(self) -> None:
        """List the microphones again (keeping the choice); Record needs one."""
        if self.recording:
            return
        chosen = self.device_box.currentData()
        self.device_box.clear()
        devices = self.recorder.devices()
        for dev in devices:
            self.device_box.addItem(dev.name, dev.index)
        if not devices:
            self.device_box.addItem("No microphone found", None)
        self.device_box.setEnabled(bool(devices))
        self.device_box.setCurrentIndex(max(0, self.device_box.findData(chosen)))
        self.has_microphone = bool(devices)
        self._update_record_button()

    def _update_record_button(self) -> None:
        if self.recording:
            self.record_button.setText("Stop")
            self.record_button.setEnabled(True)
            self.record_button.setToolTip("Stop recording and use what was recorded")
            return
        self.record_button.setText("Record")
        self.record_button.setEnabled(self.has_microphone)
        self.record_button.setToolTip(
            "Record speech from the microphone" if self.has_microphone else NO_MICROPHONE
        )

    def toggle_recording(self) -> None:
        """Start recording, or stop the running recording (what was recorded is kept)."""
        if self.recording:
            self.recorder.stop()
            return
        if not self.has_microphone:
            self.message.emit(NO_MICROPHONE)
            return
        self.recording = True
        self._update_record_button()
        self.message.emit("Recording…")
        try:
            self.recorder.start(
                self.device_box.currentData(),
                float(self.max_len.value()),
                default_recordings_dir(),
            )
        except Exception as exc:  # noqa: BLE001 - e.g. no thread could start: said, not raised
            log.warning("starting the recording failed", exc_info=True)
            self._on_record_failed(f"Recording could not start ({exc}).")

    def _on_level(self, rms: float, peak: float) -> None:
        self.meter.setValue(int(min(1.0, peak) * 100))

    def _on_recorded(self, path: str) -> None:
        self._ended()
        self.audio_chosen.emit(path)
        self.message.emit(f"Recorded {Path(path).name}")

    def _on_record_failed(self, message: str) -> None:
        self._ended()
        self.message.emit(message)

    def _ended(self) -> None:
        self.recording = False
        self.meter.setValue(0)
        self._update_record_button()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - a microphone plugged in meanwhile
        if not self.has_microphone:  # asking the audio system is not free: only when needed
            self.refresh_devices()
        super().showEvent(event)
