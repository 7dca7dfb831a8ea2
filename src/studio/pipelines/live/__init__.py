"""Live pipelines (Qt-free). ``JOBS`` declares the job kinds the service runs.

- ``live.frame``: :class:`~studio.pipelines.live.jobs.LiveFrameRequest` -> ``LiveFrame``
- ``live.stream``: :class:`~studio.pipelines.live.jobs.LiveStreamRequest` ->
  ``LiveStreamResult``; runs until cancelled, one frame per ``ctx.check()``.

Both honour ``ctx.low_memory`` (sliced attention, eager frames), so the service may retry them.
"""

from __future__ import annotations

from studio.pipelines.jobspec import JobSpec

JOBS: dict[str, JobSpec] = {
    "live.frame": JobSpec("studio.pipelines.live.jobs:run_frame", low_memory=True),
    "live.stream": JobSpec("studio.pipelines.live.jobs:run_stream", low_memory=True),
}
