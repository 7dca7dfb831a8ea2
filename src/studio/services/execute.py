"""One way to run a job, without Qt: the GPU thread, the CLI and a server all call :func:`execute`.

API::

    execute(kind, request, *, store, cache, device="cpu", progress=None, cancel=None,
            timer=None, jobs=None, record=None, budget_bytes=0, plan_override="auto") -> result

- ``kind``: a job kind such as ``"canvas.remove"``, looked up in ``jobs`` (default: every
  workspace's ``JOBS`` table, see :mod:`studio.pipelines.jobspec`; entries are
  :class:`~studio.pipelines.jobspec.JobSpec` or plain ``run(request, ctx)`` functions).
- ``request``: the runner's request object; returned: the runner's result.
- ``store``, ``cache``: the :class:`~studio.models.store.ModelStore` and the warm
  :class:`~studio.services.model_cache.ModelCache` shared by the jobs of one device.
- ``device``: ``"cpu"`` or ``"cuda:N"``; call :func:`bind_device` once on the thread first.
- ``progress``: called on the calling thread with each
  :class:`~studio.core.progress.ProgressUpdate` (stage, done, total, ETA, preview).
- ``cancel``: a :class:`~studio.core.progress.CancelToken`; ``cancel()`` from any thread stops
  the job at its next ``ctx.check()`` with :class:`~studio.core.errors.Cancelled`.
- ``timer``: a :class:`~studio.core.progress.StageTimer` to report through instead of a new
  :class:`JobTimer` over ``progress`` (its ``sink`` then gets the updates).
- ``record``: a :class:`RunRecord` filled in as the job runs (seconds per stage, retry, memory
  plan, peak VRAM), also when it raises.
- ``budget_bytes``, ``plan_override``: the VRAM budget and memory-plan settings the plan of a
  kind in :data:`~studio.pipelines.memory_plan.NEEDS` is chosen under (0 / ``"auto"``: the
  card decides).

It raises what the runner raises: :class:`Cancelled`, a
:class:`~studio.core.errors.StudioError` with a user message (``BadInput``, ``ModelMissing``,
``OutOfMemory``), or anything unexpected; ``KeyError`` for an unknown kind.

Around the runner it: pins the models the job loads so the cache never evicts them while the
job runs or is paused (:meth:`ModelCache.hold`); times each stage; and when the runner runs
out of memory, empties the cache, frees GPU memory and runs it once more (one retry, never
more). A kind with a memory plan (listed in :data:`~studio.pipelines.memory_plan.NEEDS`)
runs under :func:`~studio.pipelines.plan_runner.run_with_plan`: the retry uses the next
leaner plan ("Out of memory with <plan>; retrying with <next plan>") in low-memory mode, and
``record.plan`` names the plan it ended under. Any other kind retries under the same settings,
in its low-memory mode when its table entry has ``low_memory=True``. A second shortage ends
in :class:`~studio.core.errors.OutOfMemory` with advice.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.core.device import free_gpu_memory, is_oom, memory_stats, reset_peak
from studio.core.errors import OutOfMemory
from studio.core.progress import CancelToken, ProgressUpdate, StageTimer
from studio.models.store import ModelStore
from studio.pipelines.context import RunContext
from studio.pipelines.jobspec import JobSpec, Runner, as_spec, workspace_jobs
from studio.pipelines.memory_plan import AUTO, NEEDS, MemoryPlan
from studio.pipelines.plan_runner import run_with_plan
from studio.services.model_cache import ModelCache

log = logging.getLogger(__name__)
_nesting = threading.local()  # jobs run inside another job's ctx.check() (preemption)


@dataclass
class RunRecord:
    """What one :func:`execute` call did; filled in as it runs, complete when it returns."""

    stage_seconds: dict[str, float] = field(default_factory=dict)
    retried: bool = False  # ran out of memory once and ran again
    low_memory: bool = False  # ...and that second run was in low-memory mode
    peak_vram_bytes: int = 0  # peak allocated on the CUDA device; 0 on the CPU
    plan: str = ""  # the memory plan the last attempt ran under ("" for kinds without one)


@dataclass
class JobTimer(StageTimer):
    """A :class:`StageTimer` whose ETA starts at a stage's second step.

    The first step of a stage carries one-off costs (warm-up, CUDA graph capture, compiling):
    the ETA is the pace since the first step ended, times the steps left.
    """

    _first_step: tuple[float, int] | None = None  # (time, done) when the first step ended

    def __call__(self, stage: str, done: int, total: int, preview: Any = None) -> None:
        now = self.clock()
        if stage != self._stage:
            self._close(now)
            self._stage, self._stage_start, self._first_step = stage, now, None
        eta = None
        if self._first_step is None:
            if done > 0:
                self._first_step = (now, done)
        elif total > 0 and done > self._first_step[1]:
            since, first_done = self._first_step
            eta = (now - since) / (done - first_done) * max(0, total - done)
        self.sink(ProgressUpdate(stage, done, total, eta, preview))


def oom_message(device: str, low_memory: bool) -> str:
    """What to tell the user after the retry also ran out of memory."""
    where = "The GPU" if device.startswith("cuda") else "The computer"
    retry = "retrying in a lower-memory mode" if low_memory else "retrying"
    return (
        f"{where} ran out of memory, even after freeing cached models and {retry}. Try a "
        "smaller image or batch, close other programs that use the GPU, or lower the VRAM "
        "budget in Settings."
    )


def retry_stage(low_memory: bool) -> str:
    """The progress stage shown while a job runs again after running out of memory."""
    if low_memory:
        return "Out of memory: retrying in low-memory mode"
    return "Out of memory: retrying with the model cache emptied"


def bind_device(device: str) -> None:
    """Make ``cuda:N`` the current CUDA device of the calling thread (CUDA events, graph
    streams and bare ``"cuda"`` tensors then use it); nothing on the CPU."""
    if device.startswith("cuda:"):
        import torch

        torch.cuda.set_device(torch.device(device))


def lookup(kind: str, jobs: Mapping[str, JobSpec | Runner] | None = None) -> JobSpec:
    """The :class:`JobSpec` for ``kind``; ``KeyError`` when nothing runs it."""
    table = workspace_jobs() if jobs is None else jobs
    if kind not in table:
        raise KeyError(f"no runner for job kind '{kind}'")
    return as_spec(table[kind])


def execute(
    kind: str,
    request: Any,
    *,
    store: ModelStore,
    cache: ModelCache,
    device: str = "cpu",
    progress: Callable[[ProgressUpdate], None] | None = None,
    cancel: CancelToken | None = None,
    timer: StageTimer | None = None,
    jobs: Mapping[str, JobSpec | Runner] | None = None,
    record: RunRecord | None = None,
    budget_bytes: int = 0,
    plan_override: str = AUTO,
) -> Any:
    """Run one job of ``kind`` on the calling thread and return its result (see the module
    docstring for every argument)."""
    spec = lookup(kind, jobs)
    runner = spec.resolve()
    timer = timer if timer is not None else JobTimer(sink=progress or _ignore)
    cancel = cancel if cancel is not None else CancelToken()
    record = record if record is not None else RunRecord()
    depth = getattr(_nesting, "depth", 0)
    _nesting.depth = depth + 1

    def context(low_memory: bool) -> RunContext:
        return RunContext(
            store=store,
            cache=cache,
            device=device,
            low_memory=low_memory,
            progress=timer,
            cancel=cancel,
        )

    try:
        if depth == 0:  # a paused outer job keeps its own peak
            _quietly(reset_peak, device)
        with cache.hold() as held:
            cancel.check()
            if kind in NEEDS:
                attempts: list[MemoryPlan] = []

                def on_plan(plan: MemoryPlan) -> None:
                    attempts.append(plan)
                    record.plan = plan.label
                    record.retried = record.low_memory = len(attempts) > 1

                return _with_plan(
                    lambda: run_with_plan(
                        runner,
                        request,
                        context(False),
                        kind,
                        budget_bytes=budget_bytes,
                        override=plan_override,
                        free_memory=lambda: (held.release(), cache.clear()),
                        on_plan=on_plan,
                    ),
                    cache,
                    held,
                )
            try:
                return runner(request, context(False))
            except Exception as exc:
                if not is_oom(exc):
                    raise
                log.warning("job %s ran out of memory: %s; freeing the model cache", kind, exc)
            # Out of the except block: the failed run's frames (and the models they held)
            # are gone, so emptying the cache really frees memory. This job's own models
            # go too; a paused job's stay pinned.
            held.release()
            cache.clear()
            free_gpu_memory()
            record.retried, record.low_memory = True, spec.low_memory
            timer(retry_stage(spec.low_memory), 0, 1)
            return _retry(runner, request, context(spec.low_memory), cache, held, device)
    finally:
        _nesting.depth = depth
        record.stage_seconds = timer.finish()
        record.peak_vram_bytes = _quietly(lambda: memory_stats(device)[1]) or 0


def _retry(
    runner: Runner, request: Any, ctx: RunContext, cache: Any, held: Any, device: str
) -> Any:
    try:
        return runner(request, ctx)
    except Exception as exc:
        if not is_oom(exc):
            raise
        failure = OutOfMemory(oom_message(device, ctx.low_memory), traceback.format_exc())
    held.release()  # after the except block, as above: leave the memory as free as we can
    cache.clear()
    free_gpu_memory()
    raise failure


def _with_plan(run: Callable[[], Any], cache: Any, held: Any) -> Any:
    """``run()``; its final :class:`OutOfMemory` is raised again without the chained OOM,
    whose traceback would keep the failed run's frames (and their tensors) alive."""
    try:
        return run()
    except OutOfMemory as exc:
        failure = OutOfMemory(exc.user_message, exc.detail or traceback.format_exc())
    held.release()
    cache.clear()
    free_gpu_memory()
    raise failure


def _ignore(update: ProgressUpdate) -> None:
    pass


def _quietly(fn: Callable[..., Any], *args: Any) -> Any:
    """Statistics must never turn a finished job into a crash."""
    try:
        return fn(*args)
    except Exception:
        log.debug("memory statistics unavailable", exc_info=True)
        return None
