"""Video files as a Live source (Qt-free): frames decoded with PyAV at the clip's own rate.

- :func:`clip_frames` yields ``(rgb, t)`` in clip order (``t`` in seconds; looping adds the
  clip's length each pass): the offline path, used by ``studio live --video``.
- :class:`VideoFileSource` is a ``LiveStreamRequest.source``: each call returns the frame
  due at the current moment of real-time playback (``None`` when no new frame is due),
  looping at the end, so a clip plays through the live loop like a camera.
- :func:`clip_audio` gives the clip's sound as mono float32 (for the recording).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput

VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v")


@dataclass(frozen=True)
class ClipInfo:
    """A clip's picture facts."""

    fps: float
    duration_s: float
    width: int
    height: int
    has_audio: bool


def _open(path: str | Path) -> Any:
    import av

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"The video {path.name} does not exist.")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise BadInput(f"{path.name} is not a video Studio can read.", repr(exc)) from None
    if not container.streams.video:
        container.close()
        raise BadInput(f"{path.name} has no picture track.")
    demuxer = container.format.name
    if demuxer == "image2" or demuxer.endswith("_pipe"):  # png_pipe, jpeg_pipe, webp_pipe...
        container.close()
        raise BadInput(f"{path.name} is a still image, not a video: use it as the image source.")
    return container


def clip_info(path: str | Path) -> ClipInfo:
    """Frame rate, length, size and whether there is sound (:class:`BadInput` if unreadable)."""
    with _open(path) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        else:
            duration = (stream.frames or 0) / fps
        return ClipInfo(
            fps,
            duration,
            stream.codec_context.width,
            stream.codec_context.height,
            bool(container.streams.audio),
        )


def _decode(path: str | Path) -> Iterator[tuple[Any, float]]:
    import av

    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        first: float | None = None
        try:
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else 0.0
                first = t if first is None else first
                yield frame.to_ndarray(format="rgb24"), t - first
        except av.error.FFmpegError as exc:
            raise BadInput(
                f"{Path(path).name} is damaged and cannot be played.", repr(exc)
            ) from None


def clip_frames(
    path: str | Path, *, loop: bool = False, max_frames: int = 0
) -> Iterator[tuple[Any, float]]:
    """``(H x W x 3 uint8, seconds)`` for each frame; ``loop`` repeats the clip (then set
    ``max_frames``, or stop iterating yourself)."""
    info = clip_info(path)
    period = max(info.duration_s, 1.0 / info.fps)
    count, offset = 0, 0.0
    while True:
        produced = False
        for rgb, t in _decode(path):
            yield rgb, offset + t
            produced = True
            count += 1
            if max_frames and count >= max_frames:
                return
        if not produced:
            raise BadInput(f"{Path(path).name} has no frames.")
        if not loop:
            return
        offset += period


def clip_audio(path: str | Path, rate: int = 48000) -> Any | None:
    """The clip's sound as mono float32 at ``rate`` (``None`` when it has none)."""
    import av

    with _open(path) as container:
        if not container.streams.audio:
            return None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks = []
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32) if chunks else None


class VideoFileSource:
    """Real-time playback of a clip, looping: call it for the frame due now.

    Returns ``None`` when the frame due is the one returned last (the live loop then reuses
    its input, and the similar-frame filter sees the same picture). A slow live loop skips
    frames, as a camera would, instead of falling behind the clip.
    """

    def __init__(
        self, path: str | Path, *, loop: bool = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.info = clip_info(path)
        self.path = Path(path)
        self.loop = loop
        self.clock = clock
        self._frames = clip_frames(path, loop=loop)
        self._start: float | None = None
        self._next: tuple[Any, float] | None = None
        self.finished = False

    def __call__(self) -> Any | None:
        now = self.clock()
        if self._start is None:
            self._start = now
        elapsed = now - self._start
        due = None
        while True:
            if self._next is None:
                self._next = next(self._frames, None)
                if self._next is None:  # the end of a clip that does not loop
                    self.finished = True
                    return due
            rgb, t = self._next
            if t > elapsed and due is not None:
                return due
            if t > elapsed and due is None:
                return None
            due, self._next = rgb, None
