"""A small media bar: Play / Pause, a seek slider and "0:03 / 0:12" over one QMediaPlayer.

The player (and its audio output) is made on first use, not with the bar: loading
QtMultimedia starts Qt's FFmpeg backend, too slow for the window's start-up. Where
QtMultimedia cannot load (no ``pyside6-addons`` or ``libpulse0``) the bar stays disabled and
its tooltip says why; everything else keeps working. With no sound card the player still
plays (silently) and its position advances, so the controls behave the same everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QWidget,
)

from studio.ui.widgets.icons import set_icon

__all__ = ["MediaBar", "SeekSlider", "format_time"]

NO_MULTIMEDIA = "Playback needs Qt Multimedia (the pyside6-addons package and libpulse0)."
SEEK_STEP_MS = 5000  # the arrow keys on the slider
SHORT_MS = 60_000  # below this, times show tenths of a second


def format_time(ms: int | float, tenths: bool = False) -> str:
    """``83_500`` -> ``"1:23"``; hours when needed (``"1:02:03"``); with ``tenths``
    ``2_540`` -> ``"0:02.5"`` (short clips: a 1 s video would read "0:00 / 0:00")."""
    if tenths:
        tenth = max(0, int(ms) // 100)
        return f"{tenth // 600}:{tenth // 10 % 60:02d}.{tenth % 10}"
    seconds = max(0, int(ms) // 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class SeekSlider(QSlider):
    """A horizontal slider that jumps to where it is clicked (not by a page step)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > self.minimum():
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            style = self.style()
            groove = style.subControlRect(
                QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, self
            )
            handle = style.subControlRect(
                QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
            )
            pos = event.position().toPoint()
            if not handle.contains(pos):
                span = max(1, groove.width() - handle.width())
                x = pos.x() - groove.x() - handle.width() // 2
                value = QStyle.sliderValueFromPosition(
                    self.minimum(), self.maximum(), min(max(0, x), span), span
                )
                self.setValue(value)
        super().mousePressEvent(event)  # a press on the handle starts a drag as usual


class MediaBar(QWidget):
    """Play / Pause, seek slider and time for one file; ``player`` is None until first used.

    ``set_source(path)`` loads a file (``None`` empties the bar); ``toggle()`` plays or pauses.
    ``started`` is emitted when playback starts (a page with two bars pauses the other one).
    """

    started = Signal()
    ended = Signal()

    def __init__(self, what: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.what = what  # "speech", "video": for tooltips
        self.player: Any = None
        self.audio: Any = None
        self.source: Path | None = None
        self._made = False
        self._updating = False  # the slider follows the player: no seek back
        self._iconed = False
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip(f"Play or pause the {what} (Space)".replace("  ", " "))
        self.play_button.clicked.connect(lambda: self.toggle())
        self.slider = SeekSlider()
        self.slider.setSingleStep(SEEK_STEP_MS)
        self.slider.setPageStep(SEEK_STEP_MS * 2)
        self.slider.setToolTip("Drag or click to move; the arrow keys step 5 s")
        self.slider.valueChanged.connect(self._seek)
        self.time_label = QLabel()
        digits = self.time_label.fontMetrics().horizontalAdvance("00:00.0 / 00:00.0")
        self.time_label.setMinimumWidth(digits)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        self._show_time(0)
        self._update()

    # -- the player ------------------------------------------------------------------------
    def ensure_player(self) -> bool:
        """Make the player once; False where QtMultimedia cannot load."""
        if not self._made:
            self._made = True
            try:
                from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
            except ImportError:
                self.setToolTip(NO_MULTIMEDIA)
                self._update()
                return False
            self.player = QMediaPlayer(self)
            self.audio = QAudioOutput(self)
            self.player.setAudioOutput(self.audio)
            self.player.durationChanged.connect(self._on_duration)
            self.player.positionChanged.connect(self._on_position)
            self.player.playbackStateChanged.connect(lambda _state: self._update())
            self.player.mediaStatusChanged.connect(self._on_status)
            self._update()
        return self.player is not None

    def set_video_output(self, output: Any) -> None:
        if self.ensure_player():
            self.player.setVideoOutput(output)

    def set_source(self, path: str | Path | None, duration_ms: int = 0) -> None:
        """Load ``path`` (stopped, at the start); ``None`` empties the bar. A ``duration_ms``
        known already (the file was checked) shows at once; the player's own follows."""
        self.source = Path(path) if path is not None else None
        if self.ensure_player():
            self.player.stop()
            self.player.setSource(QUrl() if path is None else QUrl.fromLocalFile(str(path)))
        self._set_slider(0, duration_ms if path is not None else 0)
        self._update()

    # -- controls --------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        if self.player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer

        return bool(self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState)

    def can_play(self) -> bool:
        return self.player is not None and self.source is not None and self.isEnabled()

    def toggle(self) -> None:
        """Play, or pause when playing (from the start again once it has ended)."""
        if not self.can_play():
            return
        if self.playing:
            self.player.pause()
            return
        self.player.play()
        self.started.emit()

    def pause(self) -> None:
        if self.playing:
            self.player.pause()

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()

    # -- binding ---------------------------------------------------------------------------
    def _seek(self, value: int) -> None:
        if not self._updating and self.player is not None:
            self.player.setPosition(value)
            self._show_time(value)

    def _set_slider(self, value: int, maximum: int | None = None) -> None:
        self._updating = True
        try:
            if maximum is not None:
                self.slider.setRange(0, maximum)
            self.slider.setValue(value)
        finally:
            self._updating = False
        self._show_time(value)

    def _on_duration(self, duration: int) -> None:
        self._set_slider(self.slider.value(), max(0, duration))
        self._update()

    def _on_position(self, position: int) -> None:
        if not self.slider.isSliderDown():  # the user is dragging: the slider leads
            self._set_slider(position)

    def _on_status(self, status: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.ended.emit()

    def _show_time(self, position: int) -> None:
        total = self.slider.maximum()
        tenths = total < SHORT_MS
        self.time_label.setText(f"{format_time(position, tenths)} / {format_time(total, tenths)}")

    def _update(self) -> None:
        ready = self.player is not None and self.source is not None
        self.play_button.setEnabled(ready)
        self.slider.setEnabled(ready and self.slider.maximum() > 0)
        playing = self.playing
        if self.play_button.text() != ("Pause" if playing else "Play") or not self._iconed:
            self._iconed = True
            self.play_button.setText("Pause" if playing else "Play")
            set_icon(self.play_button, "mdi6.pause" if playing else "mdi6.play")
