"""The Lipsync workspace: pick an avatar, record or load speech, render a talking-head MP4.

Rendering is a ``lipsync.render`` job on the service; the widget binds to its signals,
filtered by job id. The Speech box (``speech.py``) loads a file or records one through
:class:`RecorderController` (``recorder.py``, whose backend tests replace with a scripted
microphone); a portrait can come from a headshot pack (``pack_picker.py``). Files are read
and written on the I/O workers; a saved video goes through a temporary file (``files.py``).
Each finished render and each saved copy is recorded in the gallery there (``recording.py``).
Loaded speech is checked there too (length, silence, not audio at all) and can be listened to;
the finished video plays in place of the preview with pause and seek (``MediaBar``). The File
menu's Open / Export and the Space key come through ``menu_actions.py``; the avatar (a photo
or a clip) and "Use these settings again" through ``avatar_inputs.py``. The Live tab talks in
real time from the microphone and keeps the take (``live_talk.py``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.services.jobs import Priority
from studio.ui.widgets.images import to_pixmap
from studio.ui.widgets.media_player import MediaBar
from studio.ui.widgets.worker import IoWorkers
from studio.ui.workspaces.lipsync.avatar_inputs import AVATAR_SIDE, PHOTO_HINT, AvatarInputs
from studio.ui.workspaces.lipsync.live_talk import LiveTalk
from studio.ui.workspaces.lipsync.menu_actions import LipsyncActions
from studio.ui.workspaces.lipsync.recorder import RecorderController
from studio.ui.workspaces.lipsync.recording import record_video, render_settings
from studio.ui.workspaces.lipsync.speech import SpeechBox

__all__ = ["LipsyncWorkspace"]

log = logging.getLogger(__name__)


def check_speech(path: Path) -> float:
    """The speech's length in seconds; :class:`BadInput` says why it cannot be used (runs on
    the I/O workers: it decodes the whole file, as the render will)."""
    from studio.pipelines.lipsync.audio import load_speech

    return load_speech(path).duration_s


def default_packs_root() -> Path:
    from studio.core.paths import headshot_packs_dir

    return headshot_packs_dir()


class LipsyncWorkspace(AvatarInputs, LipsyncActions, QWidget):
    """Avatar and speech on the left; the preview / player, progress and actions on the right."""

    actions_changed = Signal()  # the menus contract (studio.ui.shell.workspace_actions)
    notify = Signal(str)
    opened_file = Signal(str)

    def __init__(
        self,
        service: Any,
        store: Any,
        parent: QWidget | None = None,
        recorder: RecorderController | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.store = service, store
        self.avatar_path: Path | None = None
        self.audio_path: Path | None = None
        self.result_path: Path | None = None
        self.result_settings: dict[str, Any] = {}
        self.job_id: str | None = None
        self.saving = False
        self.export_dir: Path | None = None  # where the last video was saved (File > Export)
        self.packs_root = default_packs_root  # tests point this at their own packs
        self.recorder = recorder or RecorderController(parent=self)
        self.workers = IoWorkers(self)  # copying a finished video off the GUI thread
        self.speech = SpeechBox(self.recorder)
        self.speech.audio_chosen.connect(lambda path: self.set_audio(Path(path)))
        self._build()
        self.speech.message.connect(self.status.setText)
        service.job_progress.connect(self._on_progress)
        service.job_finished.connect(self._on_finished)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_cancelled)
        self._update_buttons()

    def _build(self) -> None:
        self.avatar_label = QLabel("No avatar")
        self.avatar_label.setFixedSize(AVATAR_SIDE, AVATAR_SIDE)
        self.avatar_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pick_avatar_button = pick_avatar = QPushButton("Photo or clip…")
        pick_avatar.clicked.connect(lambda: self._choose_avatar())
        self.from_pack_button = from_pack = QPushButton("From headshot pack…")
        from_pack.clicked.connect(lambda: self.choose_from_pack())
        self.mouth = QDoubleSpinBox()
        self.mouth.setRange(0.0, 2.0)
        self.mouth.setSingleStep(0.1)
        self.mouth.setValue(1.0)
        self.shift = QSpinBox()
        self.shift.setRange(-40, 40)
        self.smoothing = QDoubleSpinBox()
        self.smoothing.setRange(0.0, 0.9)
        self.smoothing.setSingleStep(0.1)
        self.smoothing.setValue(0.2)
        self.idle = QCheckBox("Idle head motion")
        self.idle.setChecked(True)
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(lambda: self.generate())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self.cancel())
        self.result_bar = MediaBar("video")
        self.result_bar.started.connect(self._on_video_started)
        self.speech.player_bar.started.connect(self.result_bar.pause)  # one sound at a time
        self.save_button = QPushButton("Save as…")
        self.save_button.clicked.connect(lambda: self.save_as())
        self.progress = QProgressBar()
        self.preview = QLabel()
        self.status = QLabel("")
        self.status.setWordWrap(True)

        self.avatar_label.setFrameShape(QFrame.Shape.StyledPanel)
        avatar_box = QGroupBox("Avatar")
        av = QHBoxLayout(avatar_box)
        av.addWidget(self.avatar_label)
        avatar_buttons = QVBoxLayout()
        avatar_buttons.addWidget(pick_avatar)
        avatar_buttons.addWidget(from_pack)
        self.avatar_hint = hint = QLabel(PHOTO_HINT, wordWrap=True)
        hint.setEnabled(False)  # drawn in the muted text colour of either theme
        avatar_buttons.addWidget(hint)
        avatar_buttons.addStretch(1)
        av.addLayout(avatar_buttons, 1)
        settings_box = QGroupBox("Settings")
        form = QFormLayout(settings_box)
        form.addRow("Mouth openness", self.mouth)
        form.addRow("Face-box shift", self.shift)
        form.addRow("Smoothing", self.smoothing)
        form.addRow(self.idle)
        left = QVBoxLayout()
        for box in (avatar_box, self.speech, settings_box):
            left.addWidget(box)
        left.addStretch(1)
        render_row = QWidget()
        buttons = QHBoxLayout(render_row)
        buttons.setContentsMargins(0, 0, 0, 0)
        for w in (self.generate_button, self.cancel_button, self.save_button):
            buttons.addWidget(w)
        # Two modes: render a speech file, or talk live (live_talk.py); the tab picks the row.
        self.live = LiveTalk(self)
        self.actions_row = QStackedWidget()
        self.actions_row.addWidget(render_row)
        self.actions_row.addWidget(self.live.row)
        self.mode_tabs = QTabBar()
        self.mode_tabs.addTab("Render speech")
        self.mode_tabs.addTab("Live")
        self.mode_tabs.setTabToolTip(1, "Talk into the microphone; the avatar speaks with you")
        self.mode_tabs.currentChanged.connect(self.actions_row.setCurrentIndex)
        # One view: the live preview while rendering, the player once a video is done.
        self.view = QStackedWidget()
        self.view.setMinimumSize(384, 384)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setStyleSheet(  # the picture area, dark as Live's and Canvas's views
            "QStackedWidget { background: #202020; border-radius: 4px; }"
            " QLabel { background: #202020; color: #bbbbbb; }"
        )
        self.preview.setText(
            "Choose a photo and load or record speech, then Generate:\n"
            "the video appears here while it renders, then plays here."
        )
        self.view.addWidget(self.preview)
        # The players are made when the page is first shown (see showEvent): the video widget
        # starts Qt's FFmpeg backend, too slow for the window's start-up.
        self._player_made = False
        self.player_widget = QWidget()
        QVBoxLayout(self.player_widget).setContentsMargins(0, 0, 0, 0)
        self.view.addWidget(self.player_widget)
        right = QVBoxLayout()
        right.addWidget(self.view, 1)
        right.addWidget(self.result_bar)
        right.addWidget(self.progress)
        right.addWidget(self.mode_tabs)
        right.addWidget(self.actions_row)
        right.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)

    @property
    def player(self) -> Any:
        """The video's QMediaPlayer; None before the page is first shown or without
        QtMultimedia."""
        return self.result_bar.player

    def _make_player(self) -> None:
        """Make both players and put the video into :attr:`player_widget` (once)."""
        if self._player_made:
            return
        self._player_made = True
        self.speech.player_bar.ensure_player()
        if not self.result_bar.ensure_player():
            return  # QtMultimedia needs pyside6-addons and libpulse0; the bar says so
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self.video = video = QVideoWidget()
        video.setMinimumSize(256, 256)
        self.player_widget.layout().addWidget(video)
        self.result_bar.set_video_output(video)
        self.result_bar.started.connect(self.speech.player_bar.pause)
        self._update_buttons()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self._make_player()
        super().showEvent(event)

    # -- inputs (the avatar: avatar_inputs.py) ----------------------------------------------
    def set_audio(self, path: Path) -> None:
        """Use the speech at ``path``; it is checked on the I/O workers, then its length shows
        (or why it cannot be used, and it is dropped)."""
        path = self.audio_path = Path(path)
        self.speech.show_audio(path)
        self.workers.run(
            lambda: check_speech(path),
            lambda seconds: self._on_speech_checked(path, seconds),
            lambda exc: self._on_speech_checked(path, None, exc),
        )
        self._update_buttons()

    def _on_speech_checked(
        self, path: Path, seconds: float | None, exc: BaseException | None = None
    ) -> None:
        if path != self.audio_path:
            return  # another file was chosen meanwhile
        if seconds is not None:
            self.speech.show_checked(path, seconds)
            self.opened_file.emit(str(path))
            return
        self.audio_path = None
        self.speech.show_unusable(path)
        if isinstance(exc, StudioError):
            self.status.setText(exc.user_message)
        else:
            log.error("checking the speech failed", exc_info=exc)
            self.status.setText(f"The speech {path.name} could not be read ({exc}).")
        self._update_buttons()

    # -- rendering ------------------------------------------------------------------------
    def _missing_input(self) -> str | None:
        """Why a render cannot start yet, in words; None when it can."""
        if self.avatar_path is None:
            return "Choose an avatar photo first."
        if self.audio_path is None:
            return "Load or record speech first."
        for what, path in (("avatar photo", self.avatar_path), ("speech", self.audio_path)):
            if not path.is_file():
                return f"The {what} {path.name} is no longer there: choose it again."
        return None

    def generate(self) -> None:
        """Render the avatar speaking the loaded speech (a ``lipsync.render`` job)."""
        from studio.core.paths import data_dir

        problem = self._missing_input()
        if problem is not None or self.avatar_path is None or self.audio_path is None:
            self.status.setText(problem or "")
            return
        from studio.pipelines.lipsync.render import RenderRequest  # loads numpy: not at start

        out = data_dir() / "lipsync" / "renders" / f"lipsync-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        request = RenderRequest(
            avatar=self.avatar_path,
            audio=self.audio_path,
            output=out,
            mouth_scale=self.mouth.value(),
            bbox_shift=self.shift.value(),
            smoothing=self.smoothing.value(),
            idle_motion=self.idle.isChecked(),
        )
        job = self.service.submit("lipsync.render", request, Priority.NORMAL, label="Lipsync")
        self.job_id = job.id
        self.result_bar.set_source(None)
        self.view.setCurrentWidget(self.preview)
        self.progress.setValue(0)
        self.status.setText("Rendering…")
        self._update_buttons()

    def cancel(self) -> None:
        if self.job_id is not None:
            self.service.cancel(self.job_id)

    def _mine(self, job: Any) -> bool:
        return self.job_id is not None and job.id == self.job_id

    def _on_progress(self, job: Any, update: Any) -> None:
        if not self._mine(job):
            return
        self.progress.setMaximum(max(1, update.total))
        self.progress.setValue(update.done)
        self.progress.setFormat(f"{update.stage}: %v/%m")
        if update.preview is not None:
            side = max(128, min(self.view.width(), self.view.height()))
            self.preview.setPixmap(to_pixmap(update.preview, side))

    def _on_finished(self, job: Any, result: Any) -> None:
        if not self._mine(job):
            return
        self.job_id = None
        self.result_path = Path(result.output)
        self.result_settings = render_settings(job.request, result)  # for the gallery
        video, settings, store = self.result_path, self.result_settings, self.store
        self.workers.run(lambda: record_video("render", video, settings, store), lambda _e: None)
        note = " ".join(result.warnings)
        done = f"Done: {result.frames} frames in {result.seconds:.1f} s. {note}"
        self.status.setText(done.strip())
        self.progress.setFormat("Done")
        self._make_player()  # normally made already: the page was shown to start the job
        self.result_bar.set_source(self.result_path)
        self._update_buttons()

    def play_pause(self) -> None:
        """Space: play or pause the finished video, or the speech while there is none."""
        bar = self.result_bar if self.result_bar.can_play() else self.speech.player_bar
        bar.toggle()

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        # Space that no child took: a focused button keeps Space for itself (keyboard users
        # press buttons with it); from a slider, the view or a label it plays / pauses.
        if event.key() == Qt.Key.Key_Space and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.play_pause()
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_video_started(self) -> None:
        self.view.setCurrentWidget(self.player_widget)  # stays there: pause and seek show it

    def _on_failed(self, job: Any, message: str, detail: str) -> None:
        if self._mine(job):
            self.job_id = None
            self.status.setText(message)
            self._update_buttons()

    def _on_cancelled(self, job: Any) -> None:
        if self._mine(job):
            self.job_id = None
            self.status.setText("Cancelled; nothing was written.")
            self._update_buttons()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - leaving the page ends a live take
        self.live.stop()  # kept, as with Stop
        super().hideEvent(event)

    def _update_buttons(self) -> None:
        talking = self.live.running
        busy = self.job_id is not None or talking
        ready = self.avatar_path is not None and self.audio_path is not None
        self.live.start_button.setEnabled(
            self.avatar_path is not None and self.job_id is None and not self.saving
            if not talking
            else self.live.feed is not None and not self.live.feed.closed
        )
        self.generate_button.setEnabled(ready and not busy)
        self.cancel_button.setEnabled(self.job_id is not None)
        self.save_button.setEnabled(self.result_path is not None and not busy and not self.saving)
        self.result_bar.setEnabled(not busy)
        self.actions_changed.emit()
