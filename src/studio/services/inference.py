"""The inference service: one long-lived QThread owns the device and runs jobs one at a time.

Signal contract (all emitted on the GUI thread, in this order for a job):
``job_queued(job)`` -> ``job_started(job)`` -> ``job_progress(job, ProgressUpdate)``* ->
exactly one of ``job_finished(job, result)``, ``job_failed(job, message, detail)``,
``job_cancelled(job)``. A job cancelled while queued goes straight from queued to cancelled.

Interactive jobs run before queued batch work, and also between the steps of a running job:
every ``ctx.check()`` of a running job gives a waiting job of higher priority its turn.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from studio.core.device import DeviceInfo, free_gpu_memory, is_oom, memory_stats, reset_peak
from studio.core.errors import Cancelled, OutOfMemory, StudioError
from studio.core.progress import ProgressUpdate, StageTimer
from studio.models.store import ModelStore
from studio.pipelines.context import RunContext
from studio.services.jobs import Job, JobQueue, JobState, Priority
from studio.services.model_cache import ModelCache
from studio.services.runners import Runner, default_runners

log = logging.getLogger(__name__)


def oom_message(device: str, low_memory: bool) -> str:
    """What to tell the user after the retry also ran out of memory."""
    where = "The GPU" if device.startswith("cuda") else "The computer"
    retry = "retrying in a lower-memory mode" if low_memory else "retrying"
    return (
        f"{where} ran out of memory, even after freeing cached models and {retry}. Try a "
        "smaller image or batch, close other programs that use the GPU, or lower the VRAM "
        "budget in Settings."
    )


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
    _t_progress = Signal(object, object)
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
        runners: Mapping[str, Runner] | None = None,
        name: str = "gpu",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.device_setting = device
        self.device_info: DeviceInfo | None = None
        self.cache = ModelCache(vram_budget_bytes)
        self._vram_budget_setting = vram_budget_bytes
        self._runners = dict(runners) if runners is not None else None
        self._queue = JobQueue()
        self._thread = _DeviceThread(self)
        self._thread.setObjectName(f"studio-{name}")
        self.name = name
        self.jobs: dict[str, Job] = {}  # every job of this session, for the jobs panel/stats
        self._running: list[Job] = []  # stack: a preempting job sits on top of the one it paused
        self._stopping = False
        self._housekeeping_lock = threading.Lock()
        self._pending_budget: int | None = None  # set on the GUI thread, applied on the device's
        self._reserved_bytes = 0  # sampled on the device thread
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
            self._mark_cancelled(job)
            self.job_cancelled.emit(job)

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
        """Set the warm-model budget in bytes (0 = unlimited). The device thread applies it,
        evicting what no longer fits, before its next job (at once while it is not running)."""
        with self._housekeeping_lock:
            self._pending_budget = int(budget_bytes)
        if not self._thread.isRunning():
            self._housekeeping()

    def memory_reserved(self) -> int:
        """CUDA bytes reserved on this service's device, as last sampled on its thread (before
        and after each job); 0 on CPU."""
        with self._housekeeping_lock:
            return self._reserved_bytes

    def begin_shutdown(self) -> None:
        """Cancel every job and stop taking new ones; returns at once (see :meth:`shutdown`)."""
        self._stopping = True
        for job in self._queue.close():
            job.cancel_token.cancel()
            self._mark_cancelled(job)
            self.job_cancelled.emit(job)
        for job in list(self._running):
            job.cancel_token.cancel()

    def is_stopped(self) -> bool:
        return not self._thread.isRunning()

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Cancel everything, stop the thread and wait for it; True if it stopped in time."""
        self.begin_shutdown()
        if not self._thread.isRunning():
            return True
        stopped = self._thread.wait(int(timeout_s * 1000))
        if stopped:
            self.cache.clear()
        return bool(stopped)

    @property
    def runners(self) -> dict[str, Runner]:
        if self._runners is None:
            self._runners = default_runners()
        return self._runners

    # ---- device thread --------------------------------------------------------------------
    def _thread_main(self) -> None:
        from studio.core.device import resolve_device

        try:
            # "none": an I/O-only service (downloads) that must not even import torch
            info = (
                DeviceInfo("cpu", "I/O only")
                if self.device_setting == "none"
                else resolve_device(self.device_setting)
            )
        except Exception as exc:  # torch missing or broken: still report, run nothing on GPU
            info = DeviceInfo("cpu", "CPU", warning=f"Could not initialise the device: {exc}")
        if info.warning:
            log.warning(info.warning)
        if info.is_cuda and self._vram_budget_setting <= 0:
            self.cache.budget_bytes = int(info.total_bytes * 0.8)
        self.device_info = info
        self._t_device.emit(info)
        while True:
            job = self._queue.take()
            if job is None:
                break
            if self._stopping:  # taken just as shutdown began: never start it
                job.cancel_token.cancel()
            self._housekeeping()
            self._run(job)
            self._housekeeping()
        log.info("%s thread stopped", self.name)

    def _housekeeping(self) -> None:
        """Apply a budget set from the GUI thread and sample the device's reserved memory."""
        with self._housekeeping_lock:
            budget, self._pending_budget = self._pending_budget, None
        if budget is not None:
            self.cache.budget_bytes = budget
            self.cache.fit()
        info, reserved = self.device_info, 0
        if info is not None and info.is_cuda:
            import torch

            reserved = int(torch.cuda.memory_reserved(info.device))
        with self._housekeeping_lock:
            self._reserved_bytes = reserved

    def _run(self, job: Job) -> None:
        """Run one job; whatever happens, it ends with exactly one terminal signal."""
        device = self.device_info.device if self.device_info else "cpu"
        job.state = JobState.RUNNING
        job.started_at = time.time()
        self._running.append(job)
        self._t_started.emit(job)
        timer = StageTimer(sink=lambda update: self._t_progress.emit(job, update))
        preempt = self._preempt_hook(job)
        job.cancel_token.on_check.append(preempt)
        log.info("job %s (%s) started on %s", job.id, job.kind, device)
        try:
            if len(self._running) == 1:  # a paused outer job keeps its own peak
                reset_peak(device)
            job.cancel_token.check()
            result = self._call(self.runners[job.kind], job, device, timer)
        except Cancelled:
            self._end(job, JobState.CANCELLED, timer)
            self._t_cancelled.emit(job)
        except StudioError as exc:
            job.error = exc.user_message
            job.missing_model = getattr(exc, "model_id", "")
            job.missing_models = list(getattr(exc, "model_ids", []))
            self._end(job, JobState.FAILED, timer)
            log.warning("job %s failed: %s %s", job.id, exc.user_message, exc.detail)
            self._t_failed.emit(job, exc.user_message, exc.detail or traceback.format_exc())
        except BaseException as exc:  # noqa: BLE001 - the thread must survive anything
            detail = traceback.format_exc()
            job.error = f"Unexpected error in {job.title}: {exc}"
            self._end(job, JobState.FAILED, timer)
            log.error("job %s crashed:\n%s", job.id, detail)
            self._t_failed.emit(job, job.error, detail)
        else:
            self._end(job, JobState.FINISHED, timer)
            self._t_finished.emit(job, result)
        finally:
            job.cancel_token.on_check.remove(preempt)
            self._running.remove(job)

    def _call(self, runner: Runner, job: Job, device: str, timer: StageTimer) -> Any:
        def context(low_memory: bool) -> RunContext:
            return RunContext(
                store=self.store,
                cache=self.cache,
                device=device,
                low_memory=low_memory,
                progress=timer,
                cancel=job.cancel_token,
            )

        try:
            return runner(job.request, context(False))
        except Exception as exc:
            if not is_oom(exc):
                raise
            log.warning("job %s ran out of memory; freeing the model cache", job.id)
        # Retry once with the cache emptied, in the pipeline's low-memory mode if it has one.
        self.cache.clear()
        free_gpu_memory()
        low_memory = bool(getattr(runner, "low_memory_mode", False))
        job.retried_low_memory = low_memory
        timer("Retrying with more free memory", 0, 1)
        try:
            return runner(job.request, context(low_memory))
        except Exception as exc:
            if is_oom(exc):
                self.cache.clear()
                raise OutOfMemory(oom_message(device, low_memory), str(exc)) from exc
            raise

    def _preempt_hook(self, job: Job):  # type: ignore[no-untyped-def]
        def run_waiting_interactive() -> None:
            # Only interactive jobs pause running work; NORMAL jobs merely jump the queue, so a
            # paused job's models never have to share the GPU with another big pipeline.
            limit = min(job.priority, Priority.NORMAL)
            while (waiting := self._queue.take_if_before(limit)) is not None:
                log.info("job %s pauses for higher-priority job %s", job.id, waiting.id)
                self._run(waiting)

        return run_waiting_interactive

    def _end(self, job: Job, state: JobState, timer: StageTimer) -> None:
        job.stage_seconds = timer.finish()
        device = self.device_info.device if self.device_info else "cpu"
        try:
            job.peak_vram_bytes = memory_stats(device)[1]
        except Exception:  # stats must never turn a finished job into a crash
            job.peak_vram_bytes = 0
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

    @staticmethod
    def _mark_cancelled(job: Job) -> None:
        job.state = JobState.CANCELLED
        job.ended_at = time.time()

    # ---- re-emit on the GUI thread ------------------------------------------------------------
    @Slot(object)
    def _on_started(self, job: Job) -> None:
        self.job_started.emit(job)

    @Slot(object, object)
    def _on_progress(self, job: Job, update: ProgressUpdate) -> None:
        job.last_progress = update
        self.job_progress.emit(job, update)

    @Slot(object, object)
    def _on_finished(self, job: Job, result: Any) -> None:
        self.job_finished.emit(job, result)

    @Slot(object, str, str)
    def _on_failed(self, job: Job, message: str, detail: str) -> None:
        self.job_failed.emit(job, message, detail)

    @Slot(object)
    def _on_cancelled(self, job: Job) -> None:
        self.job_cancelled.emit(job)

    @Slot(object)
    def _on_device(self, info: DeviceInfo) -> None:
        self.device_ready.emit(info)
