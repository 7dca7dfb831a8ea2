"""Speech arriving for talking live (Qt-free): the queue between the microphone and the renderer.

- :class:`AudioFeed`: chunks of 16 kHz mono PCM (float or int16, any length) pushed by one
  thread with the moment each arrived, taken by the render loop on the device thread;
  :meth:`AudioFeed.close` is Stop (the loop finishes the take), :meth:`AudioFeed.fail` ends it
  with a message (a microphone that could not open).
- :class:`FileInputBackend`: a speech file played as a microphone through the recorder's
  backend seam (``recorder.InputBackend``), in real time or as fast as it is read; the CLI's
  ``lipsync talk --audio`` and the tests use it, the window uses the real microphone.
- :class:`MicrophoneFeed`: a :class:`~studio.pipelines.lipsync.recorder.Recorder` on its own
  thread whose blocks go into a feed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput, StudioError
from studio.pipelines.lipsync.audio import MODEL_RATE
from studio.pipelines.lipsync.recorder import InputBackend, InputDevice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioChunk:
    samples: np.ndarray  # (n,) float32 mono at 16 kHz
    arrived: float  # the feed's clock when it came in


def as_mono16k(samples: Any) -> np.ndarray:
    """(n,), (n, channels) float or int16 PCM -> (n,) float32 in [-1, 1]."""
    data = np.asarray(samples)
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    data = data.astype(np.float32, copy=False)
    if data.ndim == 2:
        data = data.mean(axis=1)
    return data.reshape(-1)


class AudioFeed:
    """Thread-safe chunk queue; ``clock`` stamps arrivals (and the render loop's frames)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self._chunks: list[AudioChunk] = []
        self._cond = threading.Condition()
        self._closed = False
        self._error: StudioError | None = None

    def push(self, samples: Any, arrived: float | None = None) -> None:
        """Queue 16 kHz mono PCM; ignored after :meth:`close`."""
        chunk = AudioChunk(as_mono16k(samples), self.clock() if arrived is None else arrived)
        with self._cond:
            if self._closed:
                return
            self._chunks.append(chunk)
            self._cond.notify_all()

    def close(self) -> None:
        """No more speech: the loop renders what came and keeps the take."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def fail(self, error: StudioError) -> None:
        """End with ``error`` (raised by the loop's next :meth:`take`)."""
        with self._cond:
            self._error = error
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def take(self, timeout: float) -> tuple[list[AudioChunk], bool]:
        """Every chunk waiting (after up to ``timeout`` s for the first) and whether the feed
        has ended (closed and drained); raises the error given to :meth:`fail`."""
        with self._cond:
            if not self._chunks and not self._closed:
                self._cond.wait(timeout)
            if self._error is not None:
                raise self._error
            chunks, self._chunks = self._chunks, []
            return chunks, self._closed


class FileInputBackend:
    """A speech file as a one-channel microphone (``InputBackend``): blocks of the file at the
    rate asked for; with ``realtime`` each block comes when a microphone would deliver it."""

    def __init__(self, path: Path, *, realtime: bool = True, sleep: Any = time.sleep) -> None:
        from studio.pipelines.lipsync.audio import load_speech

        self.path = Path(path)
        self.speech = load_speech(self.path)  # checked: length, silence, a real audio file
        self.realtime, self.sleep = realtime, sleep
        self._samples = np.zeros(0, np.float32)
        self._pos = self._block = 0
        self._started = 0.0

    def devices(self) -> list[InputDevice]:
        return [InputDevice(0, self.path.name, 1, MODEL_RATE)]

    def open(self, device: int | None, rate: int, channels: int, block: int) -> None:
        from studio.pipelines.lipsync.audio import resample

        self._samples = resample(self.speech.mono16k, MODEL_RATE, rate)
        self._pos, self._block, self._rate = 0, block, rate
        self._started = time.monotonic()

    def read(self) -> np.ndarray:
        block = self._samples[self._pos : self._pos + self._block]
        self._pos += len(block)
        if self.realtime and len(block):
            due = self._started + self._pos / self._rate
            self.sleep(max(0.0, due - time.monotonic()))
        return block[:, None]

    def close(self) -> None:
        pass


class MicrophoneFeed:
    """Records from ``backend`` (default: the real microphone) at 16 kHz in ``chunk_ms``
    blocks on a thread, pushing each into ``feed``; the feed is closed when recording ends
    (Stop, the length limit, the file's end) or failed with a message."""

    def __init__(
        self,
        feed: AudioFeed,
        backend: InputBackend | None = None,
        *,
        chunk_ms: float = 80.0,
        max_seconds: float = 600.0,
        on_level: Callable[[float, float], None] | None = None,
    ) -> None:
        from studio.pipelines.lipsync.recorder import Recorder

        if not 10 <= chunk_ms <= 1000:
            raise BadInput(f"The chunk length must be 10 to 1000 ms (got {chunk_ms:g}).")
        self.feed = feed
        self.recorder = Recorder(
            backend,
            rate=MODEL_RATE,
            block_seconds=chunk_ms / 1000,
            max_seconds=max_seconds,
            on_level=on_level,
            on_block=self._on_block,
        )
        self._thread: threading.Thread | None = None
        self._stopped = False

    def start(self, device: int | None = None) -> None:
        """Listen on a new thread (nothing when already stopped: Stop came first)."""
        if self._stopped:
            self.feed.close()
            return
        self._thread = threading.Thread(target=self._run, args=(device,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening; the take is finished from what arrived."""
        self._stopped = True
        self.recorder.stop()

    def _on_block(self, block: np.ndarray) -> None:
        if self._stopped:  # a stop that came while the recorder was still opening
            self.recorder.stop()
            return
        self.feed.push(block)

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, device: int | None) -> None:
        try:
            self.recorder.record(device)
        except StudioError as exc:
            if getattr(exc, "recording", None) is not None:  # unplugged: keep what came
                log.warning("talk live: %s", exc.user_message)
                self.feed.close()
            else:
                self.feed.fail(exc)
            return
        except Exception as exc:  # noqa: BLE001 - PortAudio raises many kinds: said, not lost
            log.warning("talk live: the microphone failed", exc_info=True)
            self.feed.fail(
                BadInput(f"The microphone failed ({exc or type(exc).__name__}).", repr(exc))
            )
            return
        self.feed.close()
