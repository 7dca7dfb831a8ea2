"""Where live frames go besides the preview: a recording and a virtual camera (Qt-free).

:class:`LiveOutputs` is a ``LiveStreamRequest.on_frame`` callback: every frame (rendered or
reused by the similar-frame filter, so the outputs keep the stream's rhythm) goes to the
recorder and the virtual camera that are switched on. The UI starts and stops each output
while the stream runs; a failing virtual camera is closed and reported once, never stopping
the stream or the recording.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from studio.core.errors import StudioError
from studio.pipelines.live.recording import LiveRecorder, RecordingResult
from studio.pipelines.live.virtual_camera import VirtualCamera

log = logging.getLogger(__name__)


class LiveOutputs:
    """Recorder and virtual camera fed from the live loop; thread-safe start/stop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.recorder: LiveRecorder | None = None
        self.camera: VirtualCamera | None = None
        self.camera_error: str | None = None  # why the camera was switched off, for the UI

    def start_recording(
        self, output: str | Path, *, fps: int = 25, audio_rate: int | None = None
    ) -> LiveRecorder:
        """Begin recording to ``output`` (an MP4); ``audio_rate`` when microphone chunks
        will be passed to :meth:`add_audio`."""
        recorder = LiveRecorder(output, fps=fps, audio_rate=audio_rate)
        with self._lock:
            previous, self.recorder = self.recorder, recorder
        if previous is not None:
            previous.abort()
        return recorder

    def stop_recording(self) -> RecordingResult | None:
        """Finish the file (None when nothing was recording)."""
        with self._lock:
            recorder, self.recorder = self.recorder, None
        return None if recorder is None else recorder.finish()

    def start_camera(self, camera: VirtualCamera) -> None:
        """Send frames to ``camera`` (from ``open_virtual_camera``) from now on."""
        with self._lock:
            previous, self.camera = self.camera, camera
            self.camera_error = None
        if previous is not None:
            previous.close()

    def stop_camera(self) -> None:
        with self._lock:
            camera, self.camera = self.camera, None
        if camera is not None:
            camera.close()

    def add_audio(self, samples: Any, t: float | None = None) -> None:
        """A microphone chunk for the recording (ignored when not recording)."""
        recorder = self.recorder
        if recorder is not None and recorder.audio_rate is not None:
            recorder.add_audio(samples, t)

    def __call__(self, frame: Any) -> None:
        """The ``on_frame`` hook: a :class:`LiveFrame` (or an H x W x 3 uint8 array)."""
        image = getattr(frame, "image", frame)
        recorder, camera = self.recorder, self.camera
        if recorder is not None and not recorder.stopping:
            try:
                # live frames are fresh arrays, never written to again: no copy needed
                recorder.add_frame(image, copy=False)
            except StudioError:
                if not recorder.stopping:
                    raise  # the encoder failed: the stream says so
                # else a frame that arrived while the recording was being finished: dropped
        if camera is not None:
            try:
                camera.send(image)
            except Exception as exc:  # noqa: BLE001 - the device went away; keep streaming
                log.warning("live: virtual camera stopped: %r", exc)
                self.camera_error = "The virtual camera stopped; start it again to resume."
                self.stop_camera()

    def close(self) -> RecordingResult | None:
        """Stop both outputs (the end of the stream); returns the recording, if any."""
        self.stop_camera()
        return self.stop_recording()
