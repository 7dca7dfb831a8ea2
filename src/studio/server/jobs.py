"""Jobs the server knows: their state, their event log (replayable by id) and their folder.

Two small interfaces carry everything the HTTP layer needs, so a distributed backend can
replace the in-process one without touching the routes (issue 14: Celery + Redis):

- :class:`EventLog`: ``append(event, data) -> id`` and ``read(after, timeout)``. In process a
  list under a condition variable; with Redis, one stream per job (``XADD`` / ``XREAD BLOCK``
  with the same integer ids).
- :class:`JobStore`: create / get / sweep of :class:`Job` records. With Redis the record is a
  hash and the folder holds only what the gateway serves (inputs by hash, downloaded results).

The queue that runs jobs is separate (:class:`~studio.server.worker.GpuWorker` here; a Celery
``send_task`` there): it only needs ``submit(job)`` and ``cancel(job)``.
"""

from __future__ import annotations

import itertools
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.progress import CancelToken

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
PRIORITIES = {"interactive": 0, "normal": 1, "batch": 2}
KEEP_PREVIEWS = 16  # older events are replayed without their preview image


@dataclass(frozen=True)
class Event:
    id: int
    event: str  # "status", "progress", or the terminal "done" / "failed" / "cancelled"
    data: dict[str, Any]


class EventLog:
    """Every event of one job, in order, with ids from 1; readers block until one arrives.

    Previews are large, so only the last :data:`KEEP_PREVIEWS` events keep theirs: a client
    that reconnects still gets every stage and count it missed.
    """

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._cond = threading.Condition()
        self._closed = False

    def append(self, event: str, data: dict[str, Any], *, final: bool = False) -> int:
        with self._cond:
            if self._closed:
                return len(self._events)
            item = Event(len(self._events) + 1, event, data)
            self._events.append(item)
            old = len(self._events) - KEEP_PREVIEWS - 1
            if old >= 0 and self._events[old].data.get("preview"):
                stale = self._events[old]
                self._events[old] = Event(stale.id, stale.event, {**stale.data, "preview": None})
            self._closed = final
            self._cond.notify_all()
            return item.id

    def read(self, after: int, timeout: float) -> list[Event]:
        """Events with an id above ``after``; waits up to ``timeout`` s for the first one."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._events) > after or self._closed, timeout)
            return self._events[max(0, after) :]

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def last_id(self) -> int:
        with self._cond:
            return len(self._events)


@dataclass
class Job:
    """One submitted job. ``request`` is decoded (ready to run); ``result`` is its wire form."""

    id: str
    kind: str
    request: Any
    folder: Path
    priority: int = PRIORITIES["normal"]
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    status: str = QUEUED
    result: Any = None
    error: dict[str, Any] | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    cancel: CancelToken = field(default_factory=CancelToken)
    events: EventLog = field(default_factory=EventLog)
    seq: int = 0  # submission order, for first-in first-out within a priority
    wire: Any = None  # the request as it came (a queue backend sends this to its worker)
    inputs: set[str] = field(default_factory=set)  # sha256 of the uploads the request reads

    def summary(self) -> dict[str, Any]:
        """What ``GET /v1/jobs/{id}`` answers."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "result": self.result,
            "error": self.error,
            "stage_seconds": self.stage_seconds,
            "last_event_id": self.events.last_id,
        }


class JobStore:
    """Jobs by id, each with a folder under ``root``; finished jobs expire after ``ttl_s``."""

    def __init__(self, root: Path, ttl_s: float = 3600.0, clock: Callable[[], float] = time.time):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.ttl_s = ttl_s
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count()

    def create(self, kind: str, priority: int = PRIORITIES["normal"]) -> Job:
        """A new queued job with an empty folder; its request is filled in by the caller."""
        job_id = secrets.token_hex(8)
        folder = self.root / job_id
        (folder / "in").mkdir(parents=True)
        (folder / "out").mkdir()
        job = Job(job_id, kind, None, folder, priority, created=self._clock(), seq=next(self._seq))
        with self._lock:
            self._jobs[job_id] = job
        return job

    def get(self, job_id: str) -> Job:
        """The job; ``KeyError`` when unknown or expired."""
        with self._lock:
            return self._jobs[job_id]

    def discard(self, job: Job) -> None:
        """Forget a job that was never queued (its request was refused) and delete its folder."""
        with self._lock:
            self._jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def counts(self) -> dict[str, int]:
        with self._lock:
            jobs = list(self._jobs.values())
        out = {s: 0 for s in (QUEUED, RUNNING, DONE, FAILED, CANCELLED)}
        for job in jobs:
            out[job.status] += 1
        return out

    def local_file(self, job: Job, name: str) -> Path:
        """A downloadable file of ``job`` (see :func:`~studio.server.wire_io.job_file`)."""
        from studio.server.wire_io import job_file

        return job_file(job, name)

    def sweep(self) -> int:
        """Delete finished jobs (records and files) older than the TTL; how many went."""
        now = self._clock()
        with self._lock:
            old = [
                j
                for j in self._jobs.values()
                if j.status in FINISHED and j.finished is not None and now - j.finished > self.ttl_s
            ]
            for job in old:
                del self._jobs[job.id]
        for job in old:
            shutil.rmtree(job.folder, ignore_errors=True)
        return len(old)
