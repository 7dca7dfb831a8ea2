"""Jobs and the priority queue the GPU thread takes them from (no Qt)."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from studio.core.progress import CancelToken, ProgressUpdate

log = logging.getLogger(__name__)


class Priority(IntEnum):
    """Lower runs first. Interactive jobs also preempt running batch work between steps."""

    INTERACTIVE = 0
    NORMAL = 1
    BATCH = 2


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        return self in (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)


_counter = itertools.count()


@dataclass(eq=False)
class Job:
    """One unit of work: a kind (``canvas.remove``), its request, a priority and its record."""

    kind: str
    request: Any
    priority: Priority = Priority.NORMAL
    label: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    state: JobState = JobState.QUEUED
    cancel_token: CancelToken = field(default_factory=CancelToken)
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    peak_vram_bytes: int = 0
    last_progress: ProgressUpdate | None = None
    error: str = ""
    missing_model: str = ""  # set when the job failed for want of a model the UI can fetch
    missing_models: list[str] = field(default_factory=list)  # all of them
    retried_low_memory: bool = False
    plan: str = ""  # the memory plan it ran (or ended) under, e.g. "8 GB card: tiled VAE decode"
    seq: int = field(default_factory=lambda: next(_counter))

    @property
    def title(self) -> str:
        return self.label or self.kind

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.ended_at or time.time()) - self.started_at

    def release_payloads(self) -> None:
        """Drop the request and the last preview once the outcome was delivered: a finished
        job's record stays small (full-resolution inputs are not kept for the session)."""
        self.request = None
        if self.last_progress is not None and self.last_progress.preview is not None:
            self.last_progress = dataclasses.replace(self.last_progress, preview=None)


class JobQueue:
    """Thread-safe queue ordered by (priority, submission order).

    It also carries small calls for the taking thread (:meth:`call_soon`): the device thread
    runs them while it waits for a job and between the steps of a running one.
    """

    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._calls: list[Callable[[], None]] = []
        self._cond = threading.Condition()
        self._closed = False

    def __len__(self) -> int:
        with self._cond:
            return len(self._jobs)

    def put(self, job: Job) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the job queue is shut down")
            self._jobs.append(job)
            self._jobs.sort(key=lambda j: (j.priority, j.seq))
            self._cond.notify()

    def take(self, timeout: float | None = None) -> Job | None:
        """The next job; blocks until one comes; ``None`` once closed (or on timeout).

        Calls queued with :meth:`call_soon` run here, on the taking thread, while it waits.
        """
        while True:
            with self._cond:
                ready = self._cond.wait_for(
                    lambda: self._jobs or self._closed or self._calls, timeout
                )
                if not ready or self._closed:
                    return None
                if not self._calls:
                    return self._jobs.pop(0)
            self.run_calls()

    def call_soon(self, call: Callable[[], None]) -> None:
        """Have the taking thread run ``call`` soon (dropped once the queue is closed)."""
        with self._cond:
            if not self._closed:
                self._calls.append(call)
                self._cond.notify()

    def run_calls(self) -> None:
        """Run the queued calls on this thread; one failing never stops the others."""
        with self._cond:
            calls, self._calls = self._calls, []
        for call in calls:
            try:
                call()
            except Exception:
                log.exception("a call queued for the device thread failed")

    def take_if_before(self, priority: Priority) -> Job | None:
        """The next job only if it outranks ``priority`` (used to preempt between steps)."""
        with self._cond:
            if self._jobs and not self._closed and self._jobs[0].priority < priority:
                return self._jobs.pop(0)
            return None

    def remove(self, job_id: str) -> Job | None:
        with self._cond:
            for i, job in enumerate(self._jobs):
                if job.id == job_id:
                    return self._jobs.pop(i)
            return None

    def close(self) -> list[Job]:
        """Stop handing out jobs; returns the ones that never ran."""
        with self._cond:
            self._closed = True
            left, self._jobs = self._jobs, []
            self._cond.notify_all()
            return left
