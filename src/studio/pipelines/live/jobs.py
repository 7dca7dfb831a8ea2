"""Live job runners: one frame (``live.frame``) and the stepped stream (``live.stream``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import BadInput, StudioError
from studio.pipelines.context import RunContext
from studio.pipelines.live.session import LiveControls, LiveFrame, LiveSession, LiveSettings


@dataclass
class LiveFrameRequest:
    """One frame: ``image`` (PIL, array or path) for img2img, ``None`` for txt2img."""

    settings: LiveSettings = field(default_factory=LiveSettings)
    image: Any = None


@dataclass
class LiveStreamRequest:
    """A stream that runs until cancelled (or ``max_frames`` frames, when above 0).

    ``controls`` is shared with the UI, which changes prompt and strength while it runs.
    ``source()`` returns the newest input frame (``None``: nothing new, reuse the last one);
    without a source the stream is txt2img. ``on_frame`` sees every frame, skipped or not.
    """

    controls: LiveControls = field(default_factory=LiveControls)
    source: Callable[[], Any] | None = None
    max_frames: int = 0
    on_frame: Callable[[LiveFrame], None] | None = None
    idle_sleep_s: float = 0.01  # after a skipped frame, so an unchanged input does not spin


@dataclass
class LiveStreamResult:
    frames: int
    rendered: int
    skipped: int
    mean_latency_ms: float
    last: LiveFrame | None


def run_frame(request: LiveFrameRequest, ctx: RunContext) -> LiveFrame:
    """Render one live frame (the models stay warm in the cache for the next one)."""
    session = LiveSession(ctx, request.settings)
    frame = session.step(request.image)
    ctx.progress("Live frame", 1, 1, _preview(frame))
    return frame


def run_stream(request: LiveStreamRequest, ctx: RunContext) -> LiveStreamResult:
    """Step the live session frame after frame; ``ctx.check()`` between frames lets the
    service run interactive jobs and stops the stream on cancel (raising ``Cancelled``).

    Each rendered frame reports ``progress("Live", frames so far, max_frames or 0, preview)``:
    a total of 0 means an endless stream."""
    session = LiveSession(ctx, request.controls)
    rendered = skipped = 0
    latency = 0.0
    current: Any = None
    while request.max_frames <= 0 or rendered + skipped < request.max_frames:
        ctx.check()
        if request.source is not None:
            try:
                new = request.source()
            except StudioError:
                raise
            except Exception as exc:  # a camera unplugged mid-stream, a closed screen grab...
                raise BadInput(
                    "The live video source stopped delivering frames. Check the camera or "
                    "pick another source, then start again.",
                    detail=repr(exc),
                ) from exc
            current = new if new is not None else current
            if current is None:  # the source has not produced its first frame yet
                time.sleep(request.idle_sleep_s)
                continue
        frame = session.step(current)
        if request.on_frame is not None:  # before the preview, so readouts match the frame
            request.on_frame(frame)
        if frame.skipped:
            skipped += 1
        else:
            rendered += 1
            latency += frame.latency_ms
            # An endless stream has no total: 0 says "unknown" (shown as a frame count, not
            # "89/0"); the stage name stays fixed so the job's stage timing has one entry.
            ctx.progress("Live", session.frames, max(0, request.max_frames), _preview(frame))
        if frame.skipped and request.idle_sleep_s > 0:
            time.sleep(request.idle_sleep_s)
    return LiveStreamResult(
        frames=rendered + skipped,
        rendered=rendered,
        skipped=skipped,
        mean_latency_ms=latency / rendered if rendered else 0.0,
        last=session.last,
    )


def _preview(frame: LiveFrame) -> Any:
    from PIL import Image

    return Image.fromarray(frame.image)
