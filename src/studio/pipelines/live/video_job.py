"""A video file through the live img2img loop into an MP4 (``studio live --video``).

The clip's frames go through :meth:`LiveSession.step` in order, one by one (offline: no frame
is dropped, however slow the model), and into a :class:`LiveRecorder` at the clip's own
timestamps; the clip's sound is copied across, so the result lines up with the original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.pipelines.context import RunContext
from studio.pipelines.live.session import LiveSession, LiveSettings

_AUDIO_RATE = 48000


@dataclass
class LiveVideoRequest:
    """``video`` in, ``output`` (.mp4) out; ``max_frames`` > 0 stops early."""

    video: Path
    output: Path
    settings: LiveSettings = field(default_factory=LiveSettings)
    max_frames: int = 0
    keep_audio: bool = True


@dataclass
class LiveVideoResult:
    output: Path
    frames: int
    rendered: int
    skipped: int
    duration_s: float
    has_audio: bool


def run_video(request: LiveVideoRequest, ctx: RunContext) -> LiveVideoResult:
    """Render every frame of the clip (up to ``max_frames``) and record the result."""
    from studio.pipelines.live.recording import LiveRecorder
    from studio.pipelines.live.video_source import clip_audio, clip_frames, clip_info

    info = clip_info(request.video)
    total = request.max_frames or max(1, round(info.duration_s * info.fps))
    audio = clip_audio(request.video, _AUDIO_RATE) if request.keep_audio else None
    recorder = LiveRecorder(
        request.output,
        fps=min(120, max(1, round(info.fps))),
        audio_rate=_AUDIO_RATE if audio is not None else None,
        wait_when_full=True,
    )
    session = LiveSession(ctx, request.settings)
    rendered = skipped = 0
    last_t = 0.0
    try:
        for rgb, t in clip_frames(request.video, max_frames=request.max_frames):
            frame = session.step(rgb)
            recorder.add_frame(frame.image, t=t)
            skipped += frame.skipped
            rendered += not frame.skipped
            last_t = t
            ctx.progress("Live video", rendered + skipped, total, _preview(frame.image))
        if audio is not None:
            end = round((last_t + 1 / info.fps) * _AUDIO_RATE)  # as long as the picture
            recorder.add_audio(audio[:end], t=0.0)
        result = recorder.finish()
    except BaseException:
        recorder.abort()
        raise
    return LiveVideoResult(
        result.path, result.frames, rendered, skipped, result.duration_s, result.has_audio
    )


def _preview(rgb: Any) -> Any:
    from PIL import Image

    return Image.fromarray(rgb)
