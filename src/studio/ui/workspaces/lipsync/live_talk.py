"""Lipsync's Live mode: talk into the microphone and watch the avatar say it as you speak.

Start talking submits a ``lipsync.talk`` job (``pipelines/lipsync/talk_live.py``); once its
models are loaded the job starts a :class:`~studio.pipelines.lipsync.talk_feed.MicrophoneFeed`
on the microphone chosen in the Speech box, through the same recorder backend seam as Record
(tests play a WAV through it). Frames come back as the job's progress previews and show in
the workspace's preview; the latency line says how far the mouth is behind the voice (median
of the last second of frames). Stop closes the feed: the job renders the last frames and keeps
the take as an MP4 in the outputs folder, which is then listed and played like a render, with
a toast. Leaving the page stops the take (kept, as with Stop).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from studio.services.jobs import Priority
from studio.ui.widgets.images import to_pixmap
from studio.ui.workspaces.lipsync.speech import NO_MICROPHONE

log = logging.getLogger(__name__)
IDLE_TEXT = "Speak after Start talking: the avatar follows your voice."


def take_path() -> Path:
    from studio.core.paths import data_dir

    return data_dir() / "lipsync" / "renders" / f"talk-{time.strftime('%Y%m%d-%H%M%S')}.mp4"


def talk_settings(request: Any, result: Any = None) -> dict[str, Any]:
    """A take's settings for the gallery (as a render's, without a speech file); with the
    finished job's ``result``, its length and latency too."""
    settings = {
        "workspace": "lipsync",
        "mode": "live",
        "avatar": str(request.avatar),
        "mouth_scale": request.mouth_scale,
        "bbox_shift": request.bbox_shift,
        "smoothing": request.smoothing,
        "idle_motion": request.idle_motion,
    }
    if result is not None:
        settings["frames"] = result.frames
        settings["duration_s"] = result.duration_s
        settings["speech_to_mouth_ms"] = result.speech_to_mouth_ms
    return settings


class LiveTalk(QObject):
    """The Live row (Start talking / Stop and the latency line) and its job; ``ws`` is the
    :class:`LipsyncWorkspace` (avatar, settings, preview, result player, status)."""

    def __init__(self, ws: Any) -> None:
        super().__init__(ws)
        self.ws = ws
        self.job_id: str | None = None
        self.feed: Any = None
        self.mic: Any = None
        self.request: Any = None
        self.recent: deque[float] = deque(maxlen=25)  # speech-to-mouth of the last second
        self.row = QWidget()
        self.start_button = QPushButton("Start talking")
        self.start_button.setToolTip("Talk into the microphone; the avatar speaks with you")
        self.start_button.clicked.connect(lambda: self.toggle())
        self.latency = QLabel(IDLE_TEXT)
        self.latency.setWordWrap(True)
        layout = QHBoxLayout(self.row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.start_button)
        layout.addWidget(self.latency, 1)
        service = ws.service
        service.job_progress.connect(self._on_progress)
        service.job_finished.connect(self._on_finished)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_cancelled)

    @property
    def running(self) -> bool:
        return self.job_id is not None

    def toggle(self) -> None:
        self.stop() if self.running else self.start()

    def start(self) -> None:
        """Start a take: checks the avatar and the microphone first, each with its message."""
        from studio.pipelines.lipsync.talk_feed import AudioFeed, MicrophoneFeed
        from studio.pipelines.lipsync.talk_live import TalkLiveRequest

        ws = self.ws
        if ws.avatar_path is None or not ws.avatar_path.is_file():
            ws.status.setText("Choose an avatar photo or clip first.")
            return
        if ws.speech.recording:
            ws.status.setText("Stop the speech recording first: the microphone is in use.")
            return
        ws.speech.refresh_devices()  # a microphone plugged in since the page was shown
        if not ws.speech.has_microphone:
            ws.status.setText(NO_MICROPHONE)
            self.latency.setText("No microphone: Live needs one.")
            return
        self.feed = feed = AudioFeed()
        backend = ws.recorder.backend  # the recorder seam: None is the real microphone
        self.mic = mic = MicrophoneFeed(feed, backend, chunk_ms=80.0)
        device = ws.speech.device_box.currentData()
        self.request = TalkLiveRequest(
            avatar=ws.avatar_path,
            feed=feed,
            output=take_path(),
            mouth_scale=ws.mouth.value(),
            bbox_shift=ws.shift.value(),
            smoothing=ws.smoothing.value(),
            idle_motion=ws.idle.isChecked(),
            on_frame=lambda frame: self.recent.append(frame.speech_to_mouth_ms),
            on_ready=lambda: mic.start(device),  # device thread: the models are warm now
        )
        self.recent.clear()
        job = ws.service.submit("lipsync.talk", self.request, Priority.NORMAL, label="Talk live")
        self.job_id = job.id
        ws.result_bar.set_source(None)
        ws.view.setCurrentWidget(ws.preview)
        self.start_button.setText("Stop")
        self.latency.setText("Getting ready…")
        ws.status.setText("Loading the avatar and the models…")
        ws._update_buttons()

    def stop(self) -> None:
        """Stop listening; the take is finished and kept (safe when not running)."""
        if self.mic is not None:
            self.mic.stop()
        if self.feed is not None:
            self.feed.close()
        if self.running:
            self.start_button.setEnabled(False)  # until the take is saved
            self.ws.status.setText("Saving the take…")

    def _mine(self, job: Any) -> bool:
        return self.job_id is not None and job.id == self.job_id

    def _on_progress(self, job: Any, update: Any) -> None:
        if not self._mine(job):
            return
        if update.stage != "Talking live":
            return  # loading models, preparing the avatar: the jobs panel shows those
        if self.feed is not None and not self.feed.closed:
            self.ws.status.setText("Listening… speak, then Stop to keep the take.")
        if update.preview is not None:
            ws = self.ws
            side = max(128, min(ws.view.width(), ws.view.height()))
            ws.preview.setPixmap(to_pixmap(update.preview, side))
        if self.recent:
            lag = sorted(self.recent)[len(self.recent) // 2]
            self.latency.setText(f"Mouth {lag:.0f} ms behind your voice")

    def _on_finished(self, job: Any, result: Any) -> None:
        if not self._mine(job):
            return
        from studio.ui.workspaces.lipsync.recording import record_video

        ws, request = self.ws, self.request
        self._ended()
        ws.result_path = Path(result.output)
        ws.result_settings = settings = talk_settings(request, result)
        video, store = ws.result_path, ws.store
        ws.workers.run(lambda: record_video("render", video, settings, store), lambda _e: None)
        lag = result.speech_to_mouth_ms
        self.latency.setText(
            f"Mouth {lag['p50']:.0f} ms behind your voice (95 % within {lag['p95']:.0f} ms)"
        )
        note = " ".join(result.warnings)
        ws.status.setText(f"Take kept: {video.name}, {result.duration_s:.1f} s. {note}".strip())
        ws.notify.emit(f"Take saved to {video}")
        ws._make_player()
        ws.result_bar.set_source(video)
        ws._update_buttons()

    def _on_failed(self, job: Any, message: str, detail: str) -> None:
        if self._mine(job):
            self._ended()
            self.latency.setText(IDLE_TEXT)
            self.ws.status.setText(message)
            self.ws._update_buttons()

    def _on_cancelled(self, job: Any) -> None:
        if not self._mine(job):
            return
        ws, request = self.ws, self.request
        take = Path(request.output)
        self._ended()
        if take.is_file():  # a cancel keeps the take so far, as Stop does (talk_live.py)
            ws.result_path, ws.result_settings = take, talk_settings(request)
            ws.status.setText(f"Live talk cancelled; the take so far was kept as {take.name}.")
            ws._make_player()
            ws.result_bar.set_source(take)
        else:
            ws.status.setText("Live talk cancelled before any speech; nothing was kept.")
        ws._update_buttons()

    def _ended(self) -> None:
        if self.mic is not None:
            self.mic.stop()  # a failed job: the microphone must not keep listening
        self.job_id, self.feed, self.mic = None, None, None
        self.start_button.setText("Start talking")
        self.start_button.setEnabled(True)
