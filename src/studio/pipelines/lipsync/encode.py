"""H.264 + AAC MP4 writing with PyAV, into a temporary file renamed into place on success.

A cancelled or failed render calls :meth:`VideoWriter.abort`: the temporary file goes away and
any earlier file at the output path is left untouched. Encoding runs on one helper thread fed
through a short queue, so the GPU renders batch N+1 while x264 compresses batch N (PyAV and
x264 release the GIL). Frames arrive either as RGB arrays or, from the GPU, as ready-made
yuv420p planes still being copied to pinned host memory: the helper thread waits for the copy,
so the rendering thread never blocks on the GPU. The audio track is encoded on the helper
thread before the first video frame, keeping AAC off the end of the render.

If the encoder cannot start, or the finished file has no video frames, nothing is left behind:
the temporary file is deleted, the container closed, and a :class:`StudioError` says why.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput, StudioError

AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)


class VideoWriter:
    def __init__(
        self,
        output: Path,
        *,
        size: int = 512,
        fps: int = 25,
        crf: int = 26,
        audio: np.ndarray | None = None,
        audio_rate: int = 0,
    ) -> None:
        from studio.core.outputs import write_error

        if not (isinstance(size, int) and 16 <= size <= 4096 and size % 2 == 0):
            raise BadInput(f"The video size must be an even number from 16 to 4096 (got {size}).")
        if not (isinstance(fps, int) and 1 <= fps <= 120):
            raise BadInput(f"The frame rate must be 1 to 120 (got {fps}).")
        if not (isinstance(crf, int) and 0 <= crf <= 51):
            raise BadInput(f"The quality (CRF) must be 0 to 51 (got {crf}).")
        self.output = Path(output)
        try:
            self.output.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".mp4.part", prefix=".", dir=self.output.parent)
            os.close(fd)
            # mkstemp makes the file private (0600); the video gets the usual (or old) mode.
            old = self.output.stat().st_mode & 0o777 if self.output.is_file() else 0o644
            os.chmod(tmp, old)
        except OSError as exc:
            raise write_error(exc, self.output) from exc
        self.tmp = Path(tmp)
        self.container: Any = None
        self._thread: threading.Thread | None = None
        self._aborted = False
        try:
            self._open(size, fps, crf, audio, audio_rate)
        except BaseException as exc:
            self.abort()
            _reraise(exc)

    def _open(
        self, size: int, fps: int, crf: int, audio: np.ndarray | None, audio_rate: int
    ) -> None:
        import av

        self.frames = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=3)
        self._error: BaseException | None = None
        self.container = av.open(
            str(self.tmp), "w", format="mp4", options={"movflags": "+faststart"}
        )
        self.video = self.container.add_stream("libx264", rate=fps)
        self.video.width = self.video.height = size
        self.video.pix_fmt = "yuv420p"
        self.video.options = {"preset": "ultrafast", "crf": str(crf)}
        # x264 frame threads: about twice the throughput of PyAV's default slice threads here.
        self.video.codec_context.thread_type = "FRAME"
        self.audio_stream: Any = None
        self._audio_frames: list[Any] = []
        self._audio_done = False
        if audio is not None and audio.size:
            self._add_audio(audio, audio_rate)

    def _add_audio(self, audio: np.ndarray, rate: int) -> None:
        import av

        channels = min(2, audio.shape[0])
        layout = "stereo" if channels == 2 else "mono"
        out_rate = rate if rate in AAC_RATES else 48000
        self.audio_stream = self.container.add_stream("aac", rate=out_rate, layout=layout)
        samples = np.ascontiguousarray(audio[:channels], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
        frame.sample_rate = rate
        # The resampler re-buffers into the encoder's 1024-sample frames (and converts the rate).
        fifo = av.AudioResampler(format="fltp", layout=layout, rate=out_rate, frame_size=1024)
        pending = fifo.resample(frame) + fifo.resample(None)
        self._audio_frames = pending

    def write(self, frames: np.ndarray) -> None:
        """Queue (n, size, size, 3) uint8 RGB frames for encoding (blocks when 3 are waiting)."""
        self._put(("rgb24", frames, None), len(frames))

    def write_yuv420(self, planes: Any, ready: Any = None) -> None:
        """Queue (n, size * 3 // 2, size) uint8 yuv420p frames (Y rows, then U, then V, as
        PyAV's ``from_ndarray`` lays them out): a numpy array or a CPU tensor. ``ready`` (a CUDA
        event, or None) is waited for on the encoder thread before the data is read."""
        self._put(("yuv420p", planes, ready), int(planes.shape[0]))

    def _put(self, item: tuple[str, Any, Any], count: int) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._encode_loop, daemon=True)
            self._thread.start()
        if self._error is not None:  # the encoder failed (or never started): clean up now
            error = self._error
            self.abort()
            _reraise(error)
        self._queue.put(item)
        self.frames += count

    def _encode_loop(self) -> None:
        import av

        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None or self._aborted:
                continue  # drain the queue so a blocked producer can move on
            fmt, frames, ready = item
            try:
                self._encode_audio()
                if ready is not None:
                    ready.synchronize()  # the device-to-host copy has landed
                if not isinstance(frames, np.ndarray):
                    frames = frames.numpy()
                for img in frames:
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format=fmt)
                    for packet in self.video.encode(frame):
                        self.container.mux(packet)
            except Exception as exc:  # noqa: BLE001 - re-raised on the rendering thread
                self._error = exc

    def _encode_audio(self) -> None:
        # The muxer interleaves by timestamp, so the whole track can go in before the video.
        if self._audio_done or self.audio_stream is None:
            return
        self._audio_done = True
        pts = 0
        for frame in self._audio_frames:
            frame.pts = pts
            pts += frame.samples
            for packet in self.audio_stream.encode(frame):
                self.container.mux(packet)
        for packet in self.audio_stream.encode():
            self.container.mux(packet)
        self._audio_frames = []

    def _join(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            raise self._error

    def finish(self) -> Path:
        """Flush, close, check the file has video frames, and move it into place.

        On any failure the temporary file is removed and the error raised as a StudioError.
        """
        try:
            self._join()
            self._raise_worker_error()
            if self.frames == 0:
                raise StudioError("No video frames were made; nothing was written.")
            self._encode_audio()
            for packet in self.video.encode():
                self.container.mux(packet)
            self.container.close()
            self.container = None
            check_video(self.tmp)
            os.replace(self.tmp, self.output)
        except BaseException as exc:
            self.abort()
            _reraise(exc)
        return self.output

    def abort(self) -> None:
        """Stop encoding and delete the temporary file (safe to call more than once)."""
        self._aborted = True
        self._join()
        if self.container is not None:
            try:
                self.container.close()
            except Exception:  # noqa: BLE001 - a broken container is deleted anyway
                pass
            self.container = None
        self.tmp.unlink(missing_ok=True)


def check_video(path: Path) -> None:
    """:class:`StudioError` unless ``path`` is a video file with at least one decodable frame."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise StudioError("The written video has no picture; nothing was saved.")
            stream = container.streams.video[0]
            if not stream.frames and next(container.decode(stream), None) is None:
                raise StudioError("The written video has no frames; nothing was saved.")
    except (av.error.FFmpegError, ValueError) as exc:
        raise StudioError(
            "The written video cannot be read back; nothing was saved.", repr(exc)
        ) from exc


def _reraise(exc: BaseException) -> None:
    wrapped = _encoder_error(exc)
    if wrapped is exc:
        raise exc
    raise wrapped from exc


def _encoder_error(exc: BaseException) -> BaseException:
    """StudioErrors and interruptions as they are; write and encoder failures explained."""
    from studio.core.outputs import write_error

    if isinstance(exc, StudioError) or not isinstance(exc, Exception):
        return exc
    if isinstance(exc, OSError) and not _is_av_error(exc):
        return write_error(exc, "the video")
    return StudioError(f"The video encoder failed: {exc}", repr(exc))


def _is_av_error(exc: BaseException) -> bool:
    import av

    return isinstance(exc, av.error.FFmpegError)
