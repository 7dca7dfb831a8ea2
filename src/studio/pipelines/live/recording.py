"""Record a live stream to MP4 (H.264, plus AAC when microphone audio is given), Qt-free.

:class:`LiveRecorder` takes RGB frames at whatever moments they are made (a live stream has no
fixed rate) and, optionally, microphone chunks. Both carry times on one clock (seconds;
``time.monotonic()`` unless the caller passes its own), so picture and sound stay in sync:
the first frame is time zero, audio before it is cut, gaps in the audio become silence.

Adding a frame only copies it into a queue; a worker thread converts and encodes, so the live
loop pays well under a millisecond per frame. If the encoder falls behind, the oldest waiting
frame is dropped (the video shows the previous frame a little longer, audio is never
dropped) and the drop is logged. The file is written to a hidden temporary file beside the
target and renamed into place by :meth:`LiveRecorder.finish`; :meth:`LiveRecorder.abort`
(or a failure) deletes it and leaves any earlier file untouched.
"""

from __future__ import annotations

import collections
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput, StudioError

log = logging.getLogger(__name__)

AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_MS = Fraction(1, 1000)  # video timestamps in milliseconds: fine enough for any live rate
_AUDIO_GAP_S = 0.1  # a later chunk this much after the previous one ends: a dropout, pad it


@dataclass(frozen=True)
class RecordingResult:
    """What :meth:`LiveRecorder.finish` wrote."""

    path: Path
    frames: int  # frames encoded
    dropped: int  # frames dropped because the encoder fell behind
    duration_s: float
    has_audio: bool


class LiveRecorder:
    """An MP4 being recorded from a live stream; frames and audio chunks in, one file out.

    ``fps`` is the nominal rate written in the file header (players use the real timestamps);
    ``max_pending`` bounds the frames waiting for the encoder: beyond it the oldest is
    dropped (live), or with ``wait_when_full`` the caller waits (offline, nothing lost);
    ``clock`` gives the time used when :meth:`add_frame` / :meth:`add_audio` get no ``t``.
    """

    def __init__(
        self,
        output: str | Path,
        *,
        fps: int = 25,
        crf: int = 23,
        audio_rate: int | None = None,
        max_pending: int = 8,
        wait_when_full: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from studio.core.outputs import write_error

        if not (isinstance(fps, int) and 1 <= fps <= 120):
            raise BadInput(f"The recording frame rate must be 1 to 120 (got {fps}).")
        if audio_rate is not None and not (isinstance(audio_rate, int) and audio_rate >= 8000):
            raise BadInput(f"The microphone rate must be at least 8000 Hz (got {audio_rate}).")
        self.output = Path(output)
        if self.output.suffix.lower() != ".mp4":
            raise BadInput(f"A recording is saved as .mp4 (got '{self.output.name}').")
        try:
            self.output.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.output.name}.", suffix=".part", dir=self.output.parent
            )
            os.close(fd)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would make the video private
        except OSError as exc:
            why = write_error(exc, self.output).user_message
            raise BadInput(
                f"Cannot record into the folder {self.output.parent}. {why} Choose another folder.",
                str(exc),
            ) from exc
        self.tmp = Path(tmp)
        self.fps, self.crf, self.audio_rate = fps, crf, audio_rate
        self.max_pending = max(1, max_pending)
        self.wait_when_full = wait_when_full
        self.clock = clock
        self.frames = self.dropped = 0
        self._pending: collections.deque[tuple[str, Any, float]] = collections.deque()
        self._video_pending = 0
        self._cond = threading.Condition()
        self._closing = False
        self._error: BaseException | None = None
        self._encoder = _Encoder(self.tmp, fps, crf, audio_rate)
        self._thread = threading.Thread(target=self._work, name="live-recorder", daemon=True)
        self._thread.start()

    # -- producer side (the live loop) ----------------------------------------------------------
    def add_frame(self, rgb: Any, t: float | None = None, *, copy: bool = True) -> None:
        """Queue one H x W x 3 uint8 frame shown at time ``t`` (seconds; default: now).
        ``copy=False`` when the caller never writes to ``rgb`` again (saves a copy)."""
        self._raise_if_failed()
        # a copy by default: the caller may reuse its buffer while the encoder reads it
        frame = np.array(rgb, dtype=np.uint8, copy=True) if copy else np.asarray(rgb, np.uint8)
        if frame.ndim != 3 or frame.shape[2] != 3 or min(frame.shape[:2]) < 2:
            raise BadInput(f"A recorded frame must be H x W x 3; got shape {frame.shape}.")
        t = self.clock() if t is None else float(t)
        with self._cond:
            if self._encoder.origin is None:
                # time zero is the first frame given (not the first encoded: it may be dropped)
                self._encoder.origin = t
            while self.wait_when_full and self._video_pending >= self.max_pending:
                self._cond.wait()
            if self._video_pending >= self.max_pending:
                self._drop_oldest_frame()
            self._pending.append(("video", frame, t))
            self._video_pending += 1
            self._cond.notify()

    def add_audio(self, samples: Any, t: float | None = None) -> None:
        """Queue a mono float32 microphone chunk that starts at ``t`` (default: it just
        ended, i.e. now minus its length). Needs ``audio_rate`` given at construction."""
        self._raise_if_failed()
        if self.audio_rate is None:
            raise BadInput("This recording was started without audio; pass audio_rate.")
        chunk = np.asarray(samples, dtype=np.float32).reshape(-1).copy()
        if t is None:
            t = self.clock() - len(chunk) / self.audio_rate
        with self._cond:
            self._pending.append(("audio", chunk, float(t)))
            self._cond.notify()

    def _drop_oldest_frame(self) -> None:
        for i, item in enumerate(self._pending):
            if item[0] == "video":
                del self._pending[i]
                self._video_pending -= 1
                self.dropped += 1
                # The first drop says why; later ones are counted (finish logs the total).
                if self.dropped == 1:
                    log.warning(
                        "live recording: the encoder fell behind; dropping the oldest frames "
                        "(the video holds the previous frame a little longer)"
                    )
                return

    # -- finishing --------------------------------------------------------------------------
    def finish(self) -> RecordingResult:
        """Encode what is queued, close the file and move it into place."""
        self._stop_worker()
        try:
            if self._error is not None:
                raise self._error
            if self._encoder.frames == 0:
                raise StudioError("The recording has no frames; nothing was saved.")
            duration = self._encoder.close()
            from studio.pipelines.lipsync.encode import check_video

            check_video(self.tmp)
            os.replace(self.tmp, self.output)
        except BaseException as exc:
            self._cleanup()
            raise _explained(exc) from exc
        if self.dropped:
            log.warning(
                "live recording: %d of %d frames dropped",
                self.dropped,
                self.dropped + self._encoder.frames,
            )
        self.frames = self._encoder.frames
        return RecordingResult(
            self.output, self._encoder.frames, self.dropped, duration, self._encoder.has_audio
        )

    def abort(self) -> None:
        """Stop and delete the partial file (safe to call more than once)."""
        self._stop_worker()
        self._cleanup()

    def _cleanup(self) -> None:
        self._encoder.discard()
        self.tmp.unlink(missing_ok=True)

    def _stop_worker(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` (or an abort) began: later frames are not taken."""
        return self._closing

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error = self._error
            self.abort()
            raise _explained(error) from error
        if self._closing:
            raise StudioError("The recording has already been stopped.")

    # -- consumer side (the worker thread) --------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending:
                    return
                kind, data, t = self._pending.popleft()
                if kind == "video":
                    self._video_pending -= 1
                    self._cond.notify_all()  # a producer may wait for room
            if self._error is not None:
                continue  # drain: the producer sees the error on its next call
            try:
                if kind == "video":
                    self._encoder.video(data, t)
                else:
                    self._encoder.audio(data, t)
            except Exception as exc:  # noqa: BLE001 - handed to the producer thread
                self._error = exc

    def __enter__(self) -> LiveRecorder:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()


class _Encoder:
    """The PyAV container; used only by the worker thread (then by finish, after a join)."""

    def __init__(self, path: Path, fps: int, crf: int, audio_rate: int | None) -> None:
        import av

        self.container: Any = av.open(
            str(path), "w", format="mp4", options={"movflags": "+faststart"}
        )
        self.fps, self.crf = fps, crf
        self.stream: Any = None
        self.frames = 0
        self.origin: float | None = None  # the first frame's time (set by the producer)
        self.last_pts = -1
        self.last_t = 0.0
        self.audio_stream: Any = None
        self.resampler: Any = None
        self.audio_in_rate = audio_rate or 0
        self.audio_pts = 0  # samples written so far (at the stream's rate)
        self.audio_cursor: int | None = None  # where the next chunk goes (microphone rate)
        self.audio_written = 0  # input samples encoded so far
        self.early_audio: list[tuple[Any, float]] = []
        self.has_audio = False
        if audio_rate is not None:
            out_rate = audio_rate if audio_rate in AAC_RATES else 48000
            self.audio_stream = self.container.add_stream("aac", rate=out_rate, layout="mono")
            self.resampler = av.AudioResampler(
                format="fltp", layout="mono", rate=out_rate, frame_size=1024
            )

    def _open_video(self, height: int, width: int) -> None:
        stream = self.container.add_stream("libx264", rate=self.fps)
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuv420p"
        stream.time_base = _MS
        stream.codec_context.time_base = _MS
        stream.options = {"preset": "ultrafast", "crf": str(self.crf), "tune": "zerolatency"}
        self.stream = stream

    def video(self, rgb: Any, t: float) -> None:
        import av

        if self.stream is None:
            self._open_video(*rgb.shape[:2])
            for chunk, chunk_t in self.early_audio:
                self.audio(chunk, chunk_t)
            self.early_audio = []
        assert self.origin is not None
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if (frame.width, frame.height) != (self.stream.width, self.stream.height):
            # a size change mid-stream (the user picked another resolution): scale to the first
            frame = frame.reformat(width=self.stream.width, height=self.stream.height)
        pts = max(self.last_pts + 1, round((t - self.origin) * 1000))
        frame.pts, frame.time_base = pts, _MS
        self.last_pts, self.last_t = pts, t
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def audio(self, chunk: Any, t: float) -> None:
        if self.stream is None or self.origin is None:  # the header waits for the video stream
            self.early_audio.append((chunk, t))
            return
        rate = self.audio_in_rate
        start = round((t - self.origin) * rate)
        # The microphone is a continuous stream: each chunk follows the previous one exactly
        # (its own time stamp only has callback jitter), unless it comes after a dropout.
        if self.audio_cursor is None or start - self.audio_cursor > _AUDIO_GAP_S * rate:
            self.audio_cursor = start
        pos = self.audio_cursor
        self.audio_cursor += len(chunk)
        if pos < 0:  # recorded before the first frame: cut
            chunk, pos = chunk[min(len(chunk), -pos) :], 0
        if not len(chunk):
            return
        if pos > self.audio_written:  # silence up to this chunk keeps the rest in sync
            self._encode_audio(np.zeros(pos - self.audio_written, np.float32))
        self._encode_audio(chunk)
        self.has_audio = True

    def _encode_audio(self, samples: Any) -> None:
        import av

        self.audio_written += len(samples)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = self.audio_in_rate
        self._mux_audio(self.resampler.resample(frame))

    def _mux_audio(self, frames: list[Any]) -> None:
        for out in frames:
            out.pts = self.audio_pts
            self.audio_pts += out.samples
            for packet in self.audio_stream.encode(out):
                self.container.mux(packet)

    def close(self) -> float:
        """Flush both encoders and close; returns the video's length in seconds."""
        for packet in self.stream.encode():
            self.container.mux(packet)
        if self.audio_stream is not None:
            if self.has_audio:
                self._mux_audio(self.resampler.resample(None))
            for packet in self.audio_stream.encode():
                self.container.mux(packet)
        self.container.close()
        self.container = None
        return (self.last_pts + 1000 / self.fps) / 1000

    def discard(self) -> None:
        if self.container is not None:
            try:
                self.container.close()
            except Exception:  # noqa: BLE001 - a broken container is deleted anyway
                pass
            self.container = None


def _explained(exc: BaseException) -> BaseException:
    """Studio errors as they are; file and encoder failures with a message a user can act on."""
    if isinstance(exc, StudioError) or not isinstance(exc, Exception):
        return exc
    import av

    if isinstance(exc, OSError) and not isinstance(exc, av.error.FFmpegError):
        from studio.core.outputs import write_error

        return write_error(exc, "the recording")
    return StudioError(f"The recording could not be encoded: {exc}", repr(exc))
