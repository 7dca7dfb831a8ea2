"""``studio serve --broker``: the same job API, with jobs queued to Celery workers.

:class:`QueueBackend` replaces the in-process GPU thread behind the routes (``submit``,
``cancel``, ``depth``, ``call``) and :class:`RedisJobStore` the in-memory job store: a job's
record and events live in Redis (see :mod:`studio.scaleout.records`), so they survive a
gateway restart, and the gateway's folder holds only the inputs it checked and the result
files clients downloaded. Cancel of a queued job ends it at once (and revokes its message; a
worker that still receives it skips it); of a running one sets the flag its worker's
``ctx.check()`` reads.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from studio.core.errors import StudioError
from studio.scaleout.broker import MESSAGE_PRIORITY, TASK, queue_for
from studio.scaleout.files import publish_inputs, pull_result
from studio.scaleout.records import FINISHED_LIST, QUEUED_SET, Records, job_key
from studio.scaleout.registry import live_endpoints, message_ids, queue_depths, workers
from studio.server.jobs import CANCELLED, QUEUED, RUNNING

log = logging.getLogger(__name__)
SWEEP_INTERVAL_S = 60.0
RECONCILE_S = 5.0


class RedisJob:
    """A job as the routes see it, read from Redis; ``request`` / ``wire`` / ``inputs`` are
    set by the submit route before :meth:`QueueBackend.submit`."""

    def __init__(self, records: Records, job_id: str, record: dict[str, Any], folder: Path):
        self.records, self.id, self.folder = records, job_id, folder
        self.kind: str = record["kind"]
        self.priority: int = record["priority"]
        self.created: float = record["created"] or time.time()
        self.request: Any = None
        self.wire: Any = None
        self.inputs: set[str] = set()
        self.events = records.events(job_id)

    @property
    def status(self) -> str:
        return self.records.status(self.id) or CANCELLED

    def summary(self) -> dict[str, Any]:
        record = self.records.read(self.id)
        return {
            "id": self.id,
            "kind": self.kind,
            "status": record["status"],
            "created": record["created"],
            "started": record["started"],
            "finished": record["finished"],
            "result": record["result"],
            "error": record["error"],
            "stage_seconds": record["stage_seconds"] or {},
            "last_event_id": self.events.last_id,
            "worker": record.get("worker"),
            "runs": int(record.get("runs", 0)),
        }


class RedisJobStore:
    """Jobs by id in Redis, each with a gateway folder under ``root``."""

    def __init__(self, records: Records, root: Path) -> None:
        self.records = records
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def create(self, kind: str, priority: int, **extra: Any) -> RedisJob:
        job_id = secrets.token_hex(8)
        self.records.create(job_id, kind, priority, **extra)
        (self.root / job_id / "in").mkdir(parents=True)  # the request is checked in here
        (self.root / job_id / "out").mkdir()
        return self.get(job_id)

    def get(self, job_id: str) -> RedisJob:
        """The job; ``KeyError`` when unknown or expired."""
        if not job_id.isalnum():
            raise KeyError(job_id)
        record = self.records.read(job_id)
        return RedisJob(self.records, job_id, record, self.root / job_id)

    def discard(self, job: RedisJob) -> None:
        self.records.redis.delete(job_key(job.id))
        shutil.rmtree(job.folder, ignore_errors=True)

    def local_file(self, job: RedisJob, name: str) -> Path:
        """A result file of ``job``, fetched from Redis into its folder the first time."""
        from studio.server.wire_io import job_file

        try:
            return job_file(job, name)  # type: ignore[arg-type]
        except FileNotFoundError:
            if not pull_result(self.records.redis, job.id, job.folder, name):
                raise
        return job_file(job, name)  # type: ignore[arg-type]

    def sweep(self) -> int:
        """Delete the folders of jobs whose records expired."""
        gone = 0
        for folder in self.root.iterdir():
            if folder.is_dir() and not self.records.exists(folder.name):
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        return gone


class QueueBackend:
    """Jobs to Celery workers; what the routes call ``state.worker``."""

    device = "broker"

    def __init__(self, celery: Any, records: Records, uploads: Any, metrics: Any, sweep: Any):
        self.celery, self.records, self.uploads, self.metrics = celery, records, uploads, metrics
        self.redis = records.redis
        self._sweep = sweep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="studio-finished", daemon=True)
        self._suspects: set[str] = set()  # queued jobs whose message was missing once
        self.on_start: list[Any] = []  # e.g. resuming batches a stopped gateway left half-sent

    def start(self) -> None:
        for hook in self.on_start:
            try:
                hook()
            except Exception:  # Redis not there yet: the gateway still starts
                log.warning("start-up step failed", exc_info=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def depth(self) -> int:
        try:
            return sum(queue_depths(self.redis).values())
        except Exception:
            return -1

    def submit(self, job: Any) -> None:
        """Queue ``job``: its inputs into Redis for the workers, then the message."""
        publish_inputs(self.redis, self.uploads, job.inputs, self.uploads.ttl_s)
        self.records.update(job.id, wire=job.wire)  # to send it again if Redis loses it
        self.redis.sadd(QUEUED_SET, job.id)
        job.events.append("status", {"status": QUEUED})
        send(self.celery, job.id, job.kind, job.wire, job.priority)
        job.request = None
        shutil.rmtree(job.folder / "in", ignore_errors=True)  # checked; the worker has its own

    def cancel(self, job: Any) -> bool:
        """Cancel a queued job at once, a running one at its next ``ctx.check()``."""
        if self.records.finish(job.id, CANCELLED, allowed_from=(QUEUED,)):
            try:
                self.celery.control.revoke(job.id)
            except Exception:  # the worker skips a cancelled job anyway
                log.debug("revoke failed", exc_info=True)
            return True
        if self.records.status(job.id) == RUNNING:
            self.records.request_cancel(job.id)
            return True
        return False

    def call(self, fn: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(
            StudioError(
                "Live sessions run on a live worker, not through the queue: ask this server's "
                "/api/live/endpoint for its address."
            )
        )
        return future

    def workers(self) -> list[dict[str, Any]]:
        return workers(self.redis)

    def live_endpoint(self) -> str | None:
        found = live_endpoints(self.redis)
        return found[0] if found else None

    def reconcile(self) -> int:
        """Send again the queued jobs whose message is nowhere (not in a queue, not held by a
        worker) twice in a row: a broker restart can drop a message a worker was taking.
        A job delivered twice still runs once (its status decides); how many were sent."""
        ids = {m.decode() for m in self.redis.smembers(QUEUED_SET)}
        if not ids:
            self._suspects = set()
            return 0
        present = message_ids(self.redis)
        missing = set()
        for job_id in ids:
            if self.records.status(job_id) != QUEUED:
                self.redis.srem(QUEUED_SET, job_id)
            elif job_id not in present:
                missing.add(job_id)
        again = missing & self._suspects
        self._suspects = missing - again
        for job_id in sorted(again):
            record = self.records.read(job_id)
            log.warning("job %s lost its message; sending it again", job_id)
            send(self.celery, job_id, record["kind"], record["wire"], record["priority"])
        return len(again)

    def _watch(self) -> None:
        """Count finished jobs into the gateway's metrics; check that every queued job has
        its message; sweep old folders now and then."""
        last_sweep = last_check = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - last_check > RECONCILE_S:
                last_check = time.monotonic()
                try:
                    self.reconcile()
                except Exception:  # Redis restarting: the next round checks again
                    log.debug("reconcile failed", exc_info=True)
            try:
                item = self.redis.blpop([FINISHED_LIST], timeout=1)
                if item is not None:
                    self._count(item[1].decode())
            except Exception:  # Redis restarting: try again in a moment
                log.debug("finished-list read failed", exc_info=True)
                self._stop.wait(1.0)
            if time.monotonic() - last_sweep > SWEEP_INTERVAL_S:
                last_sweep = time.monotonic()
                try:
                    self._sweep()
                except Exception:
                    log.warning("housekeeping failed", exc_info=True)

    def _count(self, job_id: str) -> None:
        try:
            record = self.records.read(job_id)
        except KeyError:
            return
        self.metrics.job_finished(record["status"], record["stage_seconds"] or {})
        if record["started"] and record["created"]:
            self.metrics.queue_latency.observe(max(0.0, record["started"] - record["created"]))


def send(celery: Any, job_id: str, kind: str, wire: Any, priority: int) -> None:
    """The job's message on its workspace queue at its priority (the task id is the job id)."""
    celery.send_task(
        TASK,
        args=[job_id, kind, wire],
        task_id=job_id,
        queue=queue_for(kind),
        priority=MESSAGE_PRIORITY.get(priority, MESSAGE_PRIORITY[1]),
    )


def build_queue_state(config: Any, store: Any) -> Any:
    """The :class:`~studio.server.state.ServerState` of a gateway on ``config.broker``."""
    from studio.scaleout.broker import check_reachable, make_celery, redis_client
    from studio.scaleout.registry import ScaleoutCollector
    from studio.server.live import LiveHub
    from studio.server.metrics import Metrics
    from studio.server.state import ServerState
    from studio.server.uploads import UploadStore

    check_reachable(config.broker)
    root = config.resolved_work_dir()
    redis = redis_client(config.broker)
    records = Records(redis, config.result_ttl_s)
    uploads = UploadStore(root / "uploads", config.max_upload_bytes, config.upload_ttl_s)
    jobs = RedisJobStore(records, root / "jobs")
    metrics = Metrics("cpu")
    metrics.registry.register(ScaleoutCollector(redis))

    def sweep() -> None:
        jobs.sweep()
        uploads.sweep()

    backend = QueueBackend(make_celery(config.broker), records, uploads, metrics, sweep)
    state = ServerState(config, store, uploads, jobs, backend, metrics)
    state.live = LiveHub(backend)
    from studio.scaleout.batches import Batches

    batches = Batches(jobs, backend)
    state.extras["batches"] = batches
    backend.on_start.append(batches.resume)
    return state
