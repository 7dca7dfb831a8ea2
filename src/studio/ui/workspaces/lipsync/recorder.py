"""Recording speech for Lipsync: a :class:`~studio.pipelines.lipsync.recorder.Recorder` on a
plain worker thread (audio capture is not GPU work), reported through Qt signals."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.pipelines.lipsync.recorder import InputBackend, Recorder


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
        return Recorder(self.backend).devices()

    def start(self, device: int | None, max_seconds: float, folder: Path) -> None:
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
        from studio.core.errors import StudioError
        from studio.pipelines.lipsync.audio import write_wav

        try:
            rec = recorder.record(device)
        except StudioError as exc:
            kept = getattr(exc, "recording", None)
            if kept is not None and kept.samples.shape[1]:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"recording-{time.strftime('%Y%m%d-%H%M%S')}.wav"
                write_wav(path, kept.samples, kept.rate)
                self.finished.emit(str(path))
                self.failed.emit(f"{exc.user_message} Saved as {path.name}.")
            else:
                self.failed.emit(exc.user_message)
            return
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"recording-{time.strftime('%Y%m%d-%H%M%S')}.wav"
        write_wav(path, rec.samples, rec.rate)
        self.finished.emit(str(path))
