"""Live pipelines (Qt-free). ``JOBS`` declares the job kinds the service runs.

- ``live.frame``: :class:`~studio.pipelines.live.jobs.LiveFrameRequest` -> ``LiveFrame``
- ``live.stream``: :class:`~studio.pipelines.live.jobs.LiveStreamRequest` ->
  ``LiveStreamResult``; runs until cancelled, one frame per ``ctx.check()``.

Both honour ``ctx.low_memory`` (sliced attention, eager frames), so the service may retry them.

Beside the jobs: ``models`` (the live models and what each supports), ``recording``
(``LiveRecorder``: frames + microphone to MP4), ``virtual_camera`` (pyvirtualcam behind a
seam), ``outputs`` (``LiveOutputs``: the stream's ``on_frame`` hook feeding both),
``video_source`` (clips as a source) and ``video_job`` (a clip through the loop to MP4).
"""

from __future__ import annotations

from studio.pipelines.jobspec import JobSpec

JOBS: dict[str, JobSpec] = {
    "live.frame": JobSpec("studio.pipelines.live.jobs:run_frame", low_memory=True),
    "live.stream": JobSpec("studio.pipelines.live.jobs:run_stream", low_memory=True),
}
