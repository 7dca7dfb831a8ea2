"""Run a job under its memory plan, falling back one plan after an out-of-memory error.

The executor calls :func:`run_with_plan` instead of calling the runner directly: the job runs
under the plan :func:`~studio.pipelines.memory_plan.choose_plan` picks for the card (or the
one chosen in Settings); if it runs out of memory, the caller's ``free_memory`` hook runs
(the warm cache is emptied), the stage message says "Out of memory with <plan>; retrying
with <next plan>", and the job runs again under :meth:`MemoryPlan.fallbacks`: the same plan
one item at a time when it batches, then the next leaner plan (the same plan, with the cache
emptied, when it was already the leanest and does not batch). Out of memory on the last
attempt becomes an :class:`~studio.core.errors.OutOfMemory` whose message names the plans:
never a bare OOM.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from studio.core.device import free_gpu_memory, is_oom
from studio.core.errors import OutOfMemory
from studio.pipelines.memory_plan import AUTO, MemoryPlan, card_memory, choose_plan

log = logging.getLogger(__name__)

ADVICE = (
    "Try a smaller image or batch, close other programs that use the GPU, or choose a "
    "leaner memory plan in Settings."
)


def with_plan(ctx: Any, plan: MemoryPlan, low_memory: bool | None = None) -> Any:
    """A shallow copy of ``ctx`` that carries ``plan`` (pipelines read it through
    :func:`~studio.pipelines.memory_plan.plan_for`)."""
    out = copy.copy(ctx)
    out.memory_plan = plan
    if low_memory is not None:
        out.low_memory = low_memory
    return out


def retry_message(failed: MemoryPlan, lower: MemoryPlan | None) -> str:
    """The stage shown while the job runs again (``lower`` None: the same, leanest plan)."""
    if lower is None:
        return f"Out of memory with {failed.label}; retrying with the model cache emptied"
    return f"Out of memory with {failed.label}; retrying with {lower.label}"


def run_with_plan(
    runner: Callable[[Any, Any], Any],
    request: Any,
    ctx: Any,
    kind: str,
    *,
    budget_bytes: int = 0,
    override: str = AUTO,
    plan: MemoryPlan | None = None,
    free_memory: Callable[[], None] | None = None,
    on_plan: Callable[[MemoryPlan], None] | None = None,
) -> Any:
    """``runner(request, ctx)`` under the plan for ``kind``; one retry one plan leaner.

    ``plan`` skips the choice (e.g. a plan the caller already showed); ``free_memory`` runs
    before the retry (the service empties its model cache there); ``on_plan(plan)`` is
    called before each attempt (to show the plan in the jobs panel).
    """
    if plan is None:
        plan = choose_plan(kind, card_memory(ctx.device), budget_bytes, override)
    tried: list[MemoryPlan] = []
    # After an out-of-memory error: one item at a time, then a leaner plan (or, for the
    # leanest, the same plan once more with the cache emptied).
    attempts = [plan]
    while True:
        current = attempts[len(tried)]
        if on_plan is not None:
            on_plan(current)
        retry = bool(tried)
        try:
            # low_memory on retries: pipelines without plan support keep their low-memory mode.
            return runner(request, with_plan(ctx, current, low_memory=True if retry else None))
        except Exception as exc:
            if not is_oom(exc):
                raise
            tried.append(current)
            log.warning("%s ran out of memory under %s: %s", kind, current.label, exc)
            if len(tried) == 1:
                attempts += plan.fallbacks() or [plan]
            if free_memory is not None:
                free_memory()
            if len(tried) >= len(attempts):
                raise OutOfMemory(_final_message(tried), str(exc)) from exc
        free_gpu_memory()
        following = attempts[len(tried)]
        ctx.progress(retry_message(current, None if following is plan else following), 0, 1)


def _final_message(tried: list[MemoryPlan]) -> str:
    first = tried[0]
    if len(tried) == 1 or all(p is first for p in tried):
        message = f"Out of memory with {first.label}, the leanest plan for this job, "
        message += "even with the model cache emptied."
    else:
        labels = list(dict.fromkeys(p.label for p in tried))
        message = f"Out of memory with {labels[0]}, and again with {' and '.join(labels[1:])}."
    return f"{message} {ADVICE}"
