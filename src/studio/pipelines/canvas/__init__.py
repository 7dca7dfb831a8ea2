"""Canvas pipelines (Qt-free). ``JOBS`` declares the job kinds the service runs.

Runners are named as ``"module:function"`` and imported when a job of that kind first runs, so
importing this package costs nothing. ``low_memory=True``: the runner honours
``ctx.low_memory`` (smaller working size / tiles, VAE tiling, attention slicing).
"""

from __future__ import annotations

from studio.pipelines.jobspec import JobSpec

JOBS: dict[str, JobSpec] = {
    "canvas.segment": JobSpec("studio.pipelines.canvas.segment:run"),
    "canvas.remove": JobSpec("studio.pipelines.canvas.remove:run", low_memory=True),
    "canvas.fill": JobSpec("studio.pipelines.canvas.fill:run", low_memory=True),
    "canvas.cutout": JobSpec("studio.pipelines.canvas.cutout:run"),
    "canvas.upscale": JobSpec("studio.pipelines.canvas.upscale:run", low_memory=True),
    "canvas.expand": JobSpec("studio.pipelines.canvas.expand:run", low_memory=True),
    "canvas.text_select": JobSpec("studio.pipelines.canvas.text_select:run"),
    "canvas.face_detail": JobSpec("studio.pipelines.canvas.face_detail:run"),
}
