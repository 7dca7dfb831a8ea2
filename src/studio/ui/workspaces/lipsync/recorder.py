"""Recording speech for Lipsync: a :class:`~studio.pipelines.lipsync.recorder.Recorder` on a
plain worker thread (audio capture is not GPU work), reported through Qt signals.

Every recording ends with ``finished(path)`` or ``failed(message)`` (a microphone that vanished
mid-recording gives both: what was kept, then why it stopped), whatever went wrong: the
thread never dies silently, so the Record button always comes back.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from studio.core.errors import StudioError

if TYPE_CHECKING:  # the recorder module loads numpy: imported when a microphone is asked for
    from studio.pipelines.lipsync.recorder import InputBackend, Recorder, Recording

log = logging.getLogger(__name__)


class RecorderController(QObject):
    """Qt face of the recorder: ``level`` while recording, then ``finished(path)`` or ``failed``."""

    level = Signal(float, float)
    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, backend: InputBackend | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.backend = backend
        self.recorder: Recorder | None = None
        self._thread: threading.Thread | None = None

    def devices(self) -> list[Any]:
        """The input devices; empty when none is listed or the audio system cannot be asked."""
        from studio.pipelines.lipsync.recorder import Recorder

        try:
            return list(Recorder(self.backend).devices())
        except Exception:  # noqa: BLE001 - PortAudio raises many kinds; no list means no Record
            log.warning("listing the microphones failed", exc_info=True)
            return []

    def start(self, device: int | None, max_seconds: float, folder: Path) -> None:
        from studio.pipelines.lipsync.recorder import Recorder

        self.recorder = Recorder(self.backend, max_seconds=max_seconds, on_level=self.level.emit)
        self._thread = threading.Thread(
            target=self._run, args=(self.recorder, device, folder), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self.recorder is not None:
            self.recorder.stop()

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, recorder: Recorder, device: int | None, folder: Path) -> None:
        try:
            rec = recorder.record(device)
        except StudioError as exc:
            kept = getattr(exc, "recording", None)
            if kept is not None and kept.samples.shape[1]:
                self._save(kept, folder, note=exc.user_message)
            else:
                self.failed.emit(exc.user_message)
            return
        except Exception as exc:  # noqa: BLE001 - PortAudioError, OSError...: said, not lost
            log.warning("recording failed", exc_info=True)
            self.failed.emit(
                f"Recording failed ({exc or type(exc).__name__}). Check the microphone, or "
                "load an audio file instead."
            )
            return
        self._save(rec, folder)

    def _save(self, rec: Recording, folder: Path, note: str = "") -> None:
        from studio.pipelines.lipsync.audio import write_wav
        from studio.ui.workspaces.lipsync.files import atomic_path

        path = folder / f"recording-{time.strftime('%Y%m%d-%H%M%S')}.wav"
        try:
            with atomic_path(path) as tmp:
                write_wav(tmp, rec.samples, rec.rate)
        except StudioError as exc:
            log.warning("saving the recording failed: %s", exc.detail or exc.user_message)
            self.failed.emit(f"The recording could not be saved. {exc.user_message}")
            return
        self.finished.emit(str(path))
        if note:
            self.failed.emit(f"{note} Saved as {path.name}.")
