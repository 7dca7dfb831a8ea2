"""A video file as a Live source: the clip plays in real time through the img2img loop,
looping at its end (:class:`~studio.pipelines.live.video_source.VideoFileSource`).

The stream asks for frames on the device thread (``latest()`` decodes the frame due now);
the preview reads only the frame already decoded, so nothing is decoded on the GUI thread
after the first frame. A clip that cannot be read fails the source with a message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from studio.core.errors import BadInput, StudioError
from studio.ui.workspaces.live.sources import FrameSource


def video_extensions() -> tuple[str, ...]:
    # the module decodes with numpy: loaded when a video is asked for, not at start-up
    from studio.pipelines.live.video_source import VIDEO_EXTENSIONS

    return VIDEO_EXTENSIONS


def video_filter() -> str:
    """The file dialog's filter for the clips Live plays."""
    return "Videos (" + " ".join(f"*{ext}" for ext in video_extensions()) + ")"


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in video_extensions()


class VideoClipSource(FrameSource):
    """Frames of a clip at its own rate, from its first frame on (looping).

    :class:`BadInput` from the constructor when the file is no readable video."""

    def __init__(self, path: str | Path, parent: QObject | None = None) -> None:
        from studio.pipelines.live.video_source import VideoFileSource

        self.player = VideoFileSource(path, loop=True)
        first = self.player()  # the first frame at once: the preview shows the clip
        super().__init__(first, name=f"Video: {Path(path).name}", parent=parent)
        self.path = Path(path)

    def latest(self) -> Any:
        with self._lock:
            if self._error is not None:
                raise BadInput(self._error)
            player = self.player
        try:
            frame = player()
        except StudioError as exc:  # damaged further in: stop with the reason
            self.fail(exc.user_message)
            raise
        with self._lock:
            if frame is not None:
                self._frame = frame
                self._version += 1
            return self._frame

    def shown(self) -> Any:
        """The newest decoded frame, without decoding (for the preview on the GUI thread)."""
        with self._lock:
            return self._frame

    def describe(self) -> str:
        info = self.player.info
        return (
            f"{self.path.name}: {info.width} x {info.height}, {info.fps:.0f} fps, "
            f"{info.duration_s:.1f} s, played in a loop"
        )
