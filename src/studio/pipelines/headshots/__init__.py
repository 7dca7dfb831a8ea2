"""Headshots pipelines (Qt-free). ``JOBS`` declares the job kinds the service runs.

- ``headshots.pack``: :class:`~studio.pipelines.headshots.pack.PackRequest` ->
  :class:`~studio.pipelines.headshots.pack.PackResult` (drafts, scores, refined shortlist).
- ``headshots.reroll``: :class:`~studio.pipelines.headshots.reroll.RerollRequest` -> the new
  :class:`~studio.pipelines.headshots.packs.PackImage`.
- ``headshots.check``: :class:`~studio.pipelines.headshots.selfies.SelfieRequest` -> selfie
  checks (aligned crops, sharpness, brightness) without generating anything.

Pack and re-roll can run again in low-memory mode after an OOM (batch 1, tiled VAE), resuming.
"""

from __future__ import annotations

from studio.pipelines.jobspec import JobSpec

JOBS: dict[str, JobSpec] = {
    # every_update: each draft's preview goes into the gallery as it arrives
    "headshots.pack": JobSpec(
        "studio.pipelines.headshots.pack:run", low_memory=True, every_update=True
    ),
    "headshots.reroll": JobSpec("studio.pipelines.headshots.reroll:reroll", low_memory=True),
    "headshots.check": JobSpec("studio.pipelines.headshots.selfies:run"),
}
