"""Where Live's frames go besides the screen: a recording (MP4, with the microphone when
asked) and a virtual camera, through :class:`~studio.pipelines.live.outputs.LiveOutputs`.

The stream's ``on_frame`` hook feeds the outputs on the device thread. The microphone is read
on a thread of its own (:class:`MicFeed`, over the same input backend seam as Lipsync's
recorder) and its chunks go to the recording with their capture times, so sound and picture
stay in step. Finishing a recording (encoding what is queued, moving the file into place,
indexing it in the gallery) runs on a non-daemon thread: the app cannot exit before the file
is complete, and ``saved`` / ``failed`` report the outcome on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.core.errors import BadInput, StudioError

log = logging.getLogger(__name__)

RECORD_FPS = 25
MIC_RATE = 48000
NO_MICROPHONE = "No microphone was found, so this recording has no sound."


def recordings_dir() -> Path:
    """The outputs folder for Live recordings."""
    from studio.core.paths import data_dir

    return data_dir() / "live" / "recordings"


class MicFeed:
    """Microphone blocks into the recording until :meth:`stop` (its own thread)."""

    def __init__(self, backend: Any, outputs: Any, rate: int = MIC_RATE) -> None:
        self.backend, self.outputs, self.rate = backend, outputs, rate
        self.block = rate // 20  # 50 ms: small enough to keep sound and picture in step
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, device: int | None = None) -> None:
        """Open the microphone; :class:`BadInput` when there is none or it cannot open."""
        if not self.backend.devices():
            raise BadInput(NO_MICROPHONE)
        try:
            self.backend.open(device, self.rate, 1, self.block)
        except Exception as exc:  # noqa: BLE001 - PortAudio raises many kinds
            raise BadInput(f"Cannot open the microphone: {exc}", detail=repr(exc)) from exc
        self._thread = threading.Thread(target=self._run, name="live-mic", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    block = self.backend.read()
                except OSError as exc:
                    self.error = f"The microphone stopped ({exc}); the recording goes on silent."
                    return
                samples = block[:, 0] if block.ndim == 2 else block
                # it was captured over the last len/rate seconds: stamp its start
                started = time.monotonic() - len(samples) / self.rate
                try:
                    self.outputs.add_audio(samples, started)
                except StudioError:  # the recording ended between the check and the add
                    return
        finally:
            self.backend.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class OutputControl(QObject):
    """Record and virtual-camera switches for the Live workspace.

    ``saved(RecordingResult)`` / ``failed(message)`` end every recording. ``mic_backend``
    (Lipsync's input backend seam; None: the system's microphones) and ``open_camera``
    (:func:`open_virtual_camera`) say where sound comes from and frames go.
    """

    saved = Signal(object)
    failed = Signal(str)

    def __init__(self, store: Any, parent: QObject | None = None) -> None:
        # numpy comes with these: imported when the page is built, not when the app starts
        from studio.pipelines.live.outputs import LiveOutputs
        from studio.pipelines.live.virtual_camera import open_virtual_camera

        super().__init__(parent)
        self.store = store
        self.outputs = LiveOutputs()
        self.mic_backend: Any = None
        self.open_camera: Callable[..., Any] = open_virtual_camera
        self.started_at: float | None = None
        self.settings: dict[str, Any] = {}
        self.frame_error: str | None = None  # a recording that failed while frames came in
        self._mic: MicFeed | None = None
        self._finishing: list[threading.Thread] = []

    @property
    def recording(self) -> bool:
        return self.started_at is not None

    def on_frame(self, frame: Any) -> None:
        """The stream's hook (device thread): the frame to the recording and camera."""
        try:
            self.outputs(frame)
        except StudioError as exc:  # the encoder failed: stop recording, keep streaming
            if self.started_at is None:  # stopped between the check and the add: no error
                return
            self.frame_error = exc.user_message
            self.outputs.recorder = None

    def start_recording(self, settings: dict[str, Any], microphone: bool) -> tuple[Path, str]:
        """Begin a recording into the outputs folder; returns its path and a note (e.g. no
        microphone). :class:`BadInput` when the folder cannot be written."""
        target = recordings_dir() / f"live-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        note, mic = "", None
        if microphone:
            from studio.pipelines.lipsync.recorder import SoundDeviceBackend

            mic = MicFeed(self.mic_backend or SoundDeviceBackend(), self.outputs)
        rate = MIC_RATE if mic is not None else None
        self.outputs.start_recording(target, fps=RECORD_FPS, audio_rate=rate)
        if mic is not None:
            try:
                mic.start()
            except BadInput as exc:
                note, mic = exc.user_message, None
        self._mic, self.frame_error = mic, None
        self.settings = dict(settings)
        self.started_at = time.monotonic()
        return target, note

    def elapsed_s(self) -> float:
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at

    def mic_error(self) -> str | None:
        return None if self._mic is None else self._mic.error

    def stop_recording(self, *, wait: bool = False) -> None:
        """Finish the file in the background (``wait``: before returning, as on quitting)."""
        if self.started_at is None:
            return
        self.started_at = None
        mic, self._mic = self._mic, None
        if mic is not None:
            mic.stop()  # no sound chunk may arrive after the file is closed
        settings = dict(self.settings)
        # not a daemon: the interpreter waits for it, so quitting cannot cut the file short
        thread = threading.Thread(target=self._finish, args=(settings,), name="live-finish")
        self._finishing = [t for t in self._finishing if t.is_alive()] + [thread]
        thread.start()
        if wait:
            self.join()

    def join(self) -> None:
        """Wait for the recordings being finished (quitting)."""
        for thread in list(self._finishing):
            thread.join()
        self._finishing.clear()

    def _finish(self, settings: dict[str, Any]) -> None:
        try:
            result = self.outputs.stop_recording()
        except StudioError as exc:
            self._emit(self.failed, f"The recording was not saved. {exc.user_message}")
            return
        except Exception as exc:  # noqa: BLE001 - the thread must always report
            log.exception("finishing a live recording failed")
            self._emit(self.failed, f"The recording was not saved ({exc}).")
            return
        if result is None:
            return
        self._record_in_gallery(result, settings)
        self._emit(self.saved, result)

    def _record_in_gallery(self, result: Any, settings: dict[str, Any]) -> None:
        from studio.core.gallery import record_result

        values = {**settings, "frames": result.frames, "duration_s": result.duration_s}
        models = [m for m in (settings.get("model_id"), settings.get("vae_id")) if m]
        try:
            record_result(
                "live", "recording", [result.path], values, model_ids=models, store=self.store
            )
        except Exception as exc:  # noqa: BLE001 - the gallery is a convenience, never an error
            log.warning("could not record %s in the gallery: %r", result.path, exc)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window is gone (quitting): the file is what mattered
            pass

    # -- virtual camera ------------------------------------------------------------------------
    def start_camera(self, width: int, height: int) -> str:
        """Open the virtual camera and send frames to it; returns the device name.
        :class:`~studio.pipelines.live.virtual_camera.VirtualCameraUnavailable` says how to
        enable one when there is none."""
        camera = self.open_camera(width, height, RECORD_FPS)
        self.outputs.start_camera(camera)
        return str(camera.device)

    def stop_camera(self) -> None:
        self.outputs.stop_camera()

    def camera_on(self) -> bool:
        return self.outputs.camera is not None
