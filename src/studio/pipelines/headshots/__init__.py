"""Headshots pipelines (Qt-free). ``JOBS`` maps job kinds to runners for the service.

- ``headshots.pack``: :class:`~studio.pipelines.headshots.pack.PackRequest` ->
  :class:`~studio.pipelines.headshots.pack.PackResult` (drafts, scores, refined shortlist).
- ``headshots.reroll``: :class:`~studio.pipelines.headshots.reroll.RerollRequest` -> the new
  :class:`~studio.pipelines.headshots.packs.PackImage`.
- ``headshots.check``: :class:`~studio.pipelines.headshots.selfies.SelfieRequest` -> selfie
  checks (aligned crops, sharpness, brightness) without generating anything.
"""

from __future__ import annotations

from typing import Any


def _pack(request: Any, ctx: Any) -> Any:
    from studio.pipelines.headshots.pack import run

    return run(request, ctx)


def _reroll(request: Any, ctx: Any) -> Any:
    from studio.pipelines.headshots.reroll import reroll

    return reroll(request, ctx)


def _check(request: Any, ctx: Any) -> Any:
    from studio.pipelines.headshots.selfies import run

    return run(request, ctx)


# Both can run again in low-memory mode after a CUDA OOM (batch 1, tiled VAE), resuming.
_pack.low_memory_mode = True  # type: ignore[attr-defined]
_reroll.low_memory_mode = True  # type: ignore[attr-defined]

JOBS: dict = {"headshots.pack": _pack, "headshots.reroll": _reroll, "headshots.check": _check}
