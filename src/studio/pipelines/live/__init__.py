"""Live pipelines (Qt-free). ``JOBS`` maps job kinds to runners for the service.

- ``live.frame``: :class:`~studio.pipelines.live.jobs.LiveFrameRequest` -> ``LiveFrame``
- ``live.stream``: :class:`~studio.pipelines.live.jobs.LiveStreamRequest` ->
  ``LiveStreamResult``; runs until cancelled, one frame per ``ctx.check()``.
"""

from __future__ import annotations

from typing import Any


def _frame(request: Any, ctx: Any) -> Any:
    from studio.pipelines.live.jobs import run_frame

    return run_frame(request, ctx)


def _stream(request: Any, ctx: Any) -> Any:
    from studio.pipelines.live.jobs import run_stream

    return run_stream(request, ctx)


# Both honour ctx.low_memory (sliced attention, eager frames), so the service may retry them.
_frame.low_memory_mode = True  # type: ignore[attr-defined]
_stream.low_memory_mode = True  # type: ignore[attr-defined]

JOBS: dict = {"live.frame": _frame, "live.stream": _stream}
