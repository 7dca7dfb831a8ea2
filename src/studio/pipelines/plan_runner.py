"""Run a job under its memory plan, falling back one plan after an out-of-memory error.

The executor calls :func:`run_with_plan` instead of calling the runner directly: the job runs
under the plan :func:`~studio.pipelines.memory_plan.choose_plan` picks for the card (or the
one chosen in Settings); if it runs out of memory, the caller's ``free_memory`` hook runs
(the warm cache is emptied), the stage message says "Out of memory with <plan>; retrying
with <next plan>", and the job runs once more under :meth:`MemoryPlan.next_down` (under the
same plan, with the cache emptied, when it was already the leanest). A second out-of-memory
error becomes an :class:`~studio.core.errors.OutOfMemory` whose message names the plans:
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
    if on_plan is not None:
        on_plan(plan)
    try:
        return runner(request, with_plan(ctx, plan))
    except Exception as exc:
        if not is_oom(exc):
            raise
        lower = plan.next_down()
        log.warning("%s ran out of memory under %s: %s", kind, plan.name, exc)
    if free_memory is not None:
        free_memory()
    free_gpu_memory()
    ctx.progress(retry_message(plan, lower), 0, 1)
    second = lower or plan
    if on_plan is not None:
        on_plan(second)
    try:
        # low_memory too: pipelines without plan support keep their low-memory mode.
        return runner(request, with_plan(ctx, second, low_memory=True))
    except Exception as exc:
        if not is_oom(exc):
            raise
        if free_memory is not None:
            free_memory()
        if lower is None:
            message = f"Out of memory with {plan.label}, the leanest plan for this job, "
            message += "even with the model cache emptied."
        else:
            message = f"Out of memory with {plan.label}, and again with {lower.label}."
        raise OutOfMemory(f"{message} {ADVICE}", str(exc)) from exc
