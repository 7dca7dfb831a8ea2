"""The inference service: one long-lived QThread owns the device and runs jobs one at a time.

Signal contract (all emitted on the GUI thread, in this order for a job):
``job_queued(job)`` -> ``job_started(job)`` -> ``job_progress(job, ProgressUpdate)``* ->
exactly one of ``job_finished(job, result)``, ``job_failed(job, message, detail)``,
``job_cancelled(job)``. A job cancelled while queued goes straight from queued to cancelled.
When the GUI thread falls behind (a live stream reports every frame), progress updates of a
job collapse to the newest one: only the latest stage/done/ETA/preview is delivered, and the
last update before the outcome always is. Kinds declared with ``every_update=True`` (a pack
whose drafts each add a preview) get every update, in order.

Interactive jobs run before queued batch work, and also between the steps of a running job:
every ``ctx.check()`` of a running job gives a waiting job of higher priority its turn.

Each job runs through :func:`studio.services.execute.execute` (context, stage timing, pinned
models, out-of-memory retry), the same code the CLI and a server use. After its outcome is
delivered a job drops its request and preview, and only the newest ``history_limit``
finished jobs stay in :attr:`InferenceService.jobs`.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from studio.core.device import DeviceInfo
from studio.core.errors import Cancelled, StudioError
from studio.core.progress import ProgressUpdate
from studio.models.store import ModelStore
from studio.pipelines.jobspec import JobSpec, Runner, as_spec, workspace_jobs
from studio.services.execute import JobTimer, RunRecord, bind_device, execute, oom_message
from studio.services.jobs import Job, JobQueue, JobState, Priority
from studio.services.model_cache import ModelCache

log = logging.getLogger(__name__)
__all__ = ["InferenceService", "oom_message"]
AUTO_VRAM_FRACTION = 0.8  # of the GPU's memory, when no budget is set


class _DeviceThread(QThread):
    def __init__(self, service: InferenceService) -> None:
        super().__init__()
        self._service = service

    def run(self) -> None:  # the thread's whole life: resolve the device, then take jobs
        self._service._thread_main()


class InferenceService(QObject):
    """Queue, run and report jobs on one device thread, keeping models warm between jobs."""

    job_queued = Signal(object)
    job_started = Signal(object)
    job_progress = Signal(object, object)
    job_finished = Signal(object, object)
    job_failed = Signal(object, str, str)
    job_cancelled = Signal(object)
    device_ready = Signal(object)  # DeviceInfo, once the thread has picked the device

    # Emitted from the device thread; queued onto the GUI thread, then re-emitted above.
    _t_started = Signal(object)
    _t_progress = Signal(object)  # the update waits in _pending_progress (newest only)
    _t_finished = Signal(object, object)
    _t_failed = Signal(object, str, str)
    _t_cancelled = Signal(object)
    _t_device = Signal(object)

    def __init__(
        self,
        store: ModelStore,
        *,
        device: str = "auto",
        vram_budget_bytes: int = 0,
        memory_plan: str = "auto",
        runners: Mapping[str, JobSpec | Runner] | None = None,
        describe_device: Callable[[], DeviceInfo] | None = None,
        name: str = "gpu",
        history_limit: int = 200,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.device_setting = device
        self.device_info: DeviceInfo | None = None
        self.cache = ModelCache(vram_budget_bytes)
        self._vram_budget_setting = vram_budget_bytes
        self.memory_plan = memory_plan  # Settings' override; "auto" picks from the card
        self._runners = dict(runners) if runners is not None else None
        # Where the jobs really run, when not on this thread's device (a Studio server).
        self._describe_device = describe_device
        self._queue = JobQueue()
        self._thread = _DeviceThread(self)
        self._thread.setObjectName(f"studio-{name}")
        self.name = name
        self.history_limit = history_limit
        # Jobs not yet ended, and the newest finished ones (for the jobs panel and stats).
        self.jobs: dict[str, Job] = {}
        self._finished_ids: deque[str] = deque()
        self._running: list[Job] = []  # stack: a preempting job sits on top of the one it paused
        self._pending_progress: dict[str, list[ProgressUpdate]] = {}
        self._progress_lock = threading.Lock()
        self._reserved_bytes = 0
        self._stopping = False
        for sig, slot in (
            (self._t_started, self._on_started),
            (self._t_progress, self._on_progress),
            (self._t_finished, self._on_finished),
            (self._t_failed, self._on_failed),
            (self._t_cancelled, self._on_cancelled),
            (self._t_device, self._on_device),
        ):
            sig.connect(slot, Qt.ConnectionType.QueuedConnection)

    # ---- GUI-thread API -------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def submit(
        self, kind: str, request: Any, priority: Priority = Priority.NORMAL, label: str = ""
    ) -> Job:
        """Queue a job; returns at once. Unknown kinds fail now, not on the thread."""
        if kind not in self.runners:
            raise KeyError(f"no runner for job kind '{kind}'")
        if self._stopping:
            raise RuntimeError("the inference service is shut down")
        job = Job(kind=kind, request=request, priority=Priority(priority), label=label)
        self.jobs[job.id] = job
        self.job_queued.emit(job)  # before put(): the thread may finish the job at once
        self._queue.put(job)
        return job

    def cancel(self, job_id: str) -> None:
        """Cancel a queued job at once, or a running one at its next step."""
        job = self.jobs.get(job_id)
        if job is None or job.state.done:
            return
        job.cancel_token.cancel()
        if self._queue.remove(job_id) is not None:
            self._cancelled_while_queued(job)

    def cancel_all(self) -> None:
        for job in list(self.jobs.values()):
            self.cancel(job.id)

    def queue_depth(self) -> int:
        return len(self._queue)

    def running_jobs(self) -> list[Job]:
        return list(self._running)

    def vram_status(self) -> tuple[int, int]:
        """(bytes held by warm models, budget in bytes; 0 = unlimited)."""
        return self.cache.used_bytes, self.cache.budget_bytes

    def set_cache_budget(self, budget_bytes: int) -> None:
        """Set the warm-model (VRAM) budget; 0 = automatic (80 % of the GPU's memory, no
        limit on the CPU). Thread-safe and returns at once: the device thread applies it
        (evicting what no longer fits) between jobs or at the running job's next step."""
        self._vram_budget_setting = int(budget_bytes)
        self._queue.call_soon(self._apply_cache_budget)

    def memory_reserved(self) -> int:
        """CUDA memory reserved by this service's device, in bytes (0 on the CPU), as
        sampled on the device thread after each job; safe to call from any thread."""
        return self._reserved_bytes

    def begin_shutdown(self) -> None:
        """Cancel every job and stop taking new ones; returns at once (see :meth:`shutdown`).

        Queued jobs end now; a running job (and a job it paused) stops at its next step.
        """
        self._stopping = True
        running = list(self._running)
        for job in running:  # first: the token is what a running job sees soonest
            job.cancel_token.cancel()
        for job in self._queue.close():
            job.cancel_token.cancel()
            self._cancelled_while_queued(job)

    def is_stopped(self) -> bool:
        return not self._thread.isRunning()

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Cancel everything and wait at most ``timeout_s`` for the thread to end (it returns
        as soon as it has); True if it stopped in time. The thread frees its models itself."""
        self.begin_shutdown()
        if not self._thread.isRunning():
            return True
        return bool(self._thread.wait(max(0, int(timeout_s * 1000))))

    @property
    def runners(self) -> dict[str, JobSpec | Runner]:
        if self._runners is None:
            self._runners = dict(workspace_jobs())
        return self._runners

    # ---- device thread --------------------------------------------------------------------
    def _thread_main(self) -> None:
        from studio.core.device import resolve_device

        try:
            # "none": an I/O-only service (downloads) that must not even import torch
            if self._describe_device is not None:
                info = self._describe_device()
            elif self.device_setting == "none":
                info = DeviceInfo("cpu", "I/O only")
            else:
                info = resolve_device(self.device_setting)
            bind_device(info.device)
        except Exception as exc:  # torch missing or broken: still report, run nothing on GPU
            info = DeviceInfo("cpu", "CPU", warning=f"Could not initialise the device: {exc}")
        if info.warning:
            log.warning(info.warning)
        self.device_info = info
        self._apply_cache_budget()
        self._t_device.emit(info)
        while True:
            job = self._queue.take()
            if job is None:
                break
            if self._stopping:  # taken just as shutdown began: never start it
                job.cancel_token.cancel()
            self._run(job)
            self._sample_memory()
        self.cache.clear()  # on this thread: it owns the CUDA context the models live in
        log.info("%s thread stopped", self.name)

    def _run(self, job: Job) -> None:
        """Run one job; whatever happens, it ends with exactly one terminal signal."""
        device = self.device_info.device if self.device_info else "cpu"
        job.state = JobState.RUNNING
        job.started_at = time.time()
        self._running.append(job)
        self._t_started.emit(job)
        every_update = as_spec(self.runners[job.kind]).every_update
        timer = JobTimer(sink=lambda update: self._post_progress(job, update, every_update))
        record = RunRecord()
        preempt = self._preempt_hook(job)
        job.cancel_token.on_check.append(preempt)
        log.info("job %s (%s) started on %s", job.id, job.kind, device)
        try:
            result = execute(
                job.kind,
                job.request,
                store=self.store,
                cache=self.cache,
                device=device,
                cancel=job.cancel_token,
                timer=timer,
                jobs=self.runners,
                record=record,
                budget_bytes=self._vram_budget_setting,
                plan_override=self.memory_plan,
            )
        except Cancelled:
            self._end(job, JobState.CANCELLED, record)
            self._t_cancelled.emit(job)
        except StudioError as exc:
            job.error = exc.user_message
            job.missing_model = getattr(exc, "model_id", "")
            job.missing_models = list(getattr(exc, "model_ids", []))
            self._end(job, JobState.FAILED, record)
            log.warning("job %s failed: %s %s", job.id, exc.user_message, exc.detail)
            self._t_failed.emit(job, exc.user_message, exc.detail or traceback.format_exc())
        except BaseException as exc:  # noqa: BLE001 - the thread must survive anything
            detail = traceback.format_exc()
            job.error = f"Unexpected error in {job.title}: {exc}"
            self._end(job, JobState.FAILED, record)
            log.error("job %s crashed:\n%s", job.id, detail)
            self._t_failed.emit(job, job.error, detail)
        else:
            self._end(job, JobState.FINISHED, record)
            self._t_finished.emit(job, result)
            del result  # the queued signal holds it until the GUI thread has it
        finally:
            job.cancel_token.on_check.remove(preempt)
            self._running.remove(job)

    def _preempt_hook(self, job: Job):  # type: ignore[no-untyped-def]
        def between_steps() -> None:
            self._queue.run_calls()  # e.g. a lowered cache budget, applied during long jobs
            # Only interactive jobs pause running work; NORMAL jobs merely jump the queue, so a
            # paused job's models never have to share the GPU with another big pipeline.
            limit = min(job.priority, Priority.NORMAL)
            while (waiting := self._queue.take_if_before(limit)) is not None:
                log.info("job %s pauses for higher-priority job %s", job.id, waiting.id)
                self._run(waiting)

        return between_steps

    def _post_progress(self, job: Job, update: ProgressUpdate, every_update: bool) -> None:
        # Keep only the newest update; signal only when the last signal was taken, so a GUI
        # that falls behind gets the latest frame instead of a growing backlog.
        with self._progress_lock:
            pending = self._pending_progress.get(job.id)
            signal_now = pending is None
            if pending is not None and every_update:
                pending.append(update)
            else:
                self._pending_progress[job.id] = [update]
        if signal_now:
            self._t_progress.emit(job)

    def _end(self, job: Job, state: JobState, record: RunRecord) -> None:
        job.stage_seconds = record.stage_seconds
        job.peak_vram_bytes = record.peak_vram_bytes
        job.retried_low_memory = record.low_memory
        job.plan = record.plan
        job.ended_at = time.time()
        job.state = state
        log.info(
            "job %s (%s) %s in %.2fs; stages %s; peak VRAM %.0f MB",
            job.id,
            job.kind,
            state.value,
            job.duration_s or 0.0,
            {k: round(v, 3) for k, v in job.stage_seconds.items()},
            job.peak_vram_bytes / 1e6,
        )

    def _apply_cache_budget(self) -> None:  # on the device thread
        budget = self._vram_budget_setting
        info = self.device_info
        if budget <= 0:
            budget = int(info.total_bytes * AUTO_VRAM_FRACTION) if info and info.is_cuda else 0
        self.cache.budget_bytes = budget
        self.cache.fit()
        self._sample_memory()

    def _sample_memory(self) -> None:  # on the device thread
        info = self.device_info
        if info is None or not info.is_cuda:
            return
        try:
            import torch

            self._reserved_bytes = int(torch.cuda.memory_reserved(info.device))
        except Exception:  # statistics must never stop the thread
            log.debug("could not read reserved CUDA memory", exc_info=True)

    # ---- on the GUI thread -----------------------------------------------------------------
    def _cancelled_while_queued(self, job: Job) -> None:
        job.state = JobState.CANCELLED
        job.ended_at = time.time()
        self.job_cancelled.emit(job)
        self._delivered(job)

    def _delivered(self, job: Job) -> None:
        """The job's outcome reached every listener: keep only a small, bounded record."""
        job.release_payloads()
        self._finished_ids.append(job.id)
        while len(self._finished_ids) > max(0, self.history_limit):
            self.jobs.pop(self._finished_ids.popleft(), None)

    @Slot(object)
    def _on_started(self, job: Job) -> None:
        self.job_started.emit(job)

    @Slot(object)
    def _on_progress(self, job: Job) -> None:
        with self._progress_lock:
            updates = self._pending_progress.pop(job.id, [])
        for update in updates:
            job.last_progress = update
            self.job_progress.emit(job, update)

    @Slot(object, object)
    def _on_finished(self, job: Job, result: Any) -> None:
        self.job_finished.emit(job, result)
        self._delivered(job)

    @Slot(object, str, str)
    def _on_failed(self, job: Job, message: str, detail: str) -> None:
        self.job_failed.emit(job, message, detail)
        self._delivered(job)

    @Slot(object)
    def _on_cancelled(self, job: Job) -> None:
        self.job_cancelled.emit(job)
        self._delivered(job)

    @Slot(object)
    def _on_device(self, info: DeviceInfo) -> None:
        self.device_ready.emit(info)
