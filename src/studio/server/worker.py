"""The server's one GPU thread: jobs from a priority queue through :func:`execute`, warm models.

A plain Python thread owns the device (the CUDA context and the warm
:class:`~studio.services.model_cache.ModelCache` stay on it). It takes the most urgent job
(interactive before normal before batch, first come first served within a priority) and runs
it. Short *calls* (a live WebSocket frame) jump every queue: they run between jobs, and also
inside a running job's ``ctx.check()``, so a long pack never stalls a live session.

Only :meth:`GpuWorker.submit` and :meth:`GpuWorker.cancel` are used by the routes; a Celery
producer with the same two methods replaces this class when jobs go to other machines.
"""

from __future__ import annotations

import collections
import heapq
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from studio.core.errors import Cancelled, StudioError
from studio.models.store import ModelStore
from studio.pipelines.context import RunContext
from studio.remote.codec import preview_to_wire
from studio.remote.wire import error_to_wire
from studio.server.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobStore
from studio.server.metrics import Metrics
from studio.server.wire_io import encode_result
from studio.services.execute import RunRecord, bind_device, execute
from studio.services.model_cache import ModelCache

log = logging.getLogger(__name__)
PREVIEW_INTERVAL_S = 0.25  # at most four preview images a second per job go into events
SWEEP_INTERVAL_S = 60.0


class GpuWorker:
    """Runs jobs and calls on one thread bound to ``device``."""

    def __init__(
        self,
        store: ModelStore,
        jobs: JobStore,
        metrics: Metrics,
        device: str = "cpu",
        cache: ModelCache | None = None,
        sweep: Callable[[], Any] | None = None,
    ) -> None:
        self.store, self.jobs, self.metrics, self.device = store, jobs, metrics, device
        self.cache = cache if cache is not None else ModelCache()
        self._sweep = sweep or jobs.sweep
        self._heap: list[tuple[int, int, Job]] = []
        self._calls: collections.deque[tuple[Callable[[RunContext], Any], Future[Any]]] = (
            collections.deque()
        )
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="studio-gpu", daemon=True)
        self.current: Job | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Cancel the running job, stop taking new ones and wait for the thread."""
        with self._cond:
            self._stopping = True
            if self.current is not None:
                self.current.cancel.cancel()
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def depth(self) -> int:
        """Jobs waiting (not counting the running one)."""
        with self._cond:
            return len(self._heap)

    def submit(self, job: Job) -> None:
        with self._cond:
            heapq.heappush(self._heap, (job.priority, job.seq, job))
            self._cond.notify_all()
        job.events.append("status", {"status": QUEUED})

    def cancel(self, job: Job) -> bool:
        """Cancel a queued job at once, a running one at its next ``ctx.check()``; ``False``
        when it had already finished."""
        with self._cond:
            if job.status == QUEUED:
                self._heap = [item for item in self._heap if item[2] is not job]
                heapq.heapify(self._heap)
                self._finish(job, CANCELLED, None)
                return True
            if job.status == RUNNING:
                job.cancel.cancel()
                return True
        return False

    def call(self, fn: Callable[[RunContext], Any]) -> Future[Any]:
        """Run ``fn(ctx)`` on the GPU thread before anything else; its result as a future."""
        future: Future[Any] = Future()
        with self._cond:
            if self._stopping:
                future.set_exception(Cancelled("The server is shutting down."))
                return future
            self._calls.append((fn, future))
            self._cond.notify_all()
        return future

    def context(self) -> RunContext:
        return RunContext(store=self.store, cache=self.cache, device=self.device)

    def _loop(self) -> None:
        bind_device(self.device)
        last_sweep = time.monotonic()
        while True:
            with self._cond:
                while not (self._stopping or self._calls or self._heap):
                    if not self._cond.wait(timeout=SWEEP_INTERVAL_S):
                        break
                if self._stopping:
                    break
                job = heapq.heappop(self._heap)[2] if self._heap and not self._calls else None
            self._run_calls()
            if job is not None:
                self._run(job)
            if time.monotonic() - last_sweep > SWEEP_INTERVAL_S:
                last_sweep = time.monotonic()
                self._quietly(self._sweep)
        for _fn, future in self._drain():
            future.set_exception(Cancelled("The server is shutting down."))

    def _drain(self) -> list[tuple[Callable[[RunContext], Any], Future[Any]]]:
        with self._cond:
            calls = list(self._calls)
            self._calls.clear()
        return calls

    def _run_calls(self) -> None:
        for fn, future in self._drain():
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(self.context()))
            except BaseException as exc:  # the caller decides; the thread goes on
                future.set_exception(exc)

    def _run(self, job: Job) -> None:
        with self._cond:
            if job.status != QUEUED:
                return
            job.status, job.started, self.current = RUNNING, time.time(), job
        self.metrics.queue_latency.observe(max(0.0, job.started - job.created))
        job.events.append("status", {"status": RUNNING})
        job.cancel.on_check.append(self._run_calls)  # live frames run between a job's steps
        record = RunRecord()
        last_preview = [0.0]

        def progress(update: Any) -> None:
            preview = None
            now = time.monotonic()
            if update.preview is not None and (
                now - last_preview[0] >= PREVIEW_INTERVAL_S or update.done >= update.total
            ):
                last_preview[0] = now
                preview = self._quietly(preview_to_wire, update.preview)
            data = {"stage": update.stage, "done": update.done, "total": update.total}
            job.events.append("progress", {**data, "eta_s": update.eta_s, "preview": preview})

        status, error = DONE, None
        try:
            result = execute(
                job.kind,
                job.request,
                store=self.store,
                cache=self.cache,
                device=self.device,
                progress=progress,
                cancel=job.cancel,
                record=record,
            )
            job.result = encode_result(job, result)
        except Cancelled:
            status = CANCELLED
        except StudioError as exc:  # bad input, missing models, OOM: the user's message
            log.info("job %s (%s) failed: %s", job.id, job.kind, exc.user_message)
            status, error = FAILED, error_to_wire(exc)
        except Exception as exc:
            log.error("job %s (%s) failed", job.id, job.kind, exc_info=True)
            status, error = FAILED, error_to_wire(exc)
        finally:
            job.stage_seconds = record.stage_seconds
            with self._cond:
                self.current = None
        self._finish(job, status, error)

    def _finish(self, job: Job, status: str, error: dict[str, Any] | None) -> None:
        job.status, job.error, job.finished = status, error, time.time()
        job.request = None  # its images stay on disk (inputs) only as long as the job folder
        self.metrics.job_finished(status, job.stage_seconds)
        job.events.append(status, {"status": status, "error": error}, final=True)

    @staticmethod
    def _quietly(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            log.warning("housekeeping failed", exc_info=True)
            return None
