"""What a worker does with one queued job: the same :func:`~studio.services.execute.execute`
as the app, the CLI and ``studio serve``, with its events, cancel flag and files in Redis.

A job starts only from ``queued`` (or ``running``, when a dead worker's message came back):
a job cancelled while queued, or delivered again after it ended, is acknowledged and skipped,
so nothing runs twice after it finished.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from studio.core.errors import Cancelled, StudioError
from studio.core.progress import CancelToken
from studio.models.store import ModelStore
from studio.remote.codec import preview_to_wire
from studio.remote.wire import error_to_wire
from studio.scaleout.files import RedisInputs, upload_results
from studio.scaleout.records import QUEUED_SET, Records, job_key
from studio.server.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING
from studio.server.wire_io import decode_request, encode_result
from studio.services.execute import RunRecord, execute
from studio.services.model_cache import ModelCache

log = logging.getLogger(__name__)
PREVIEW_INTERVAL_S = 0.25
CANCEL_POLL_S = 0.1  # ctx.check() looks at the Redis flag at most this often


@dataclass
class WorkerState:
    """One worker's device, warm models and Redis view; ``current`` is the running job."""

    name: str
    store: ModelStore
    records: Records
    work_dir: Path
    device: str = "cpu"
    queues: tuple[str, ...] = ()
    cache: ModelCache = field(default_factory=ModelCache)
    current: str | None = None
    live_url: str | None = None

    @property
    def inputs(self) -> RedisInputs:
        return RedisInputs(self.records.redis, self.work_dir / "inputs")


def run_job(state: WorkerState, job_id: str, kind: str, wire: Any) -> str:
    """Run one job to its end; its final status (or the status it already had)."""
    records = state.records
    holder = _live_holder(state, job_id)
    if holder is not None:  # its lease lapsed (Redis was away) but its worker still runs it
        log.info("job %s still runs on %s; not running it twice", job_id, holder)
        return RUNNING
    started, old = records.transition(job_id, RUNNING, QUEUED, RUNNING)
    records.redis.srem(QUEUED_SET, job_id)
    if not started:
        log.info("job %s is %s; not running it", job_id, old or "unknown")
        return old
    attempt = int(records.redis.hincrby(job_key(job_id), "runs", 1))
    records.update(job_id, started=time.time(), worker=state.name)
    events = records.events(job_id)
    events.append("status", {"status": RUNNING, "worker": state.name, "attempt": attempt})
    folder = state.work_dir / "jobs" / job_id
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "in").mkdir(parents=True)
    (folder / "out").mkdir()
    cancel = CancelToken()
    cancel.on_check.append(_cancel_poller(records, job_id, cancel))
    record = RunRecord()
    status, error = DONE, None
    state.current = job_id
    try:
        job = SimpleNamespace(id=job_id, kind=kind, folder=folder)
        request = decode_request(job, wire, state.inputs)  # type: ignore[arg-type]
        cancel.check()
        result = execute(
            kind,
            request,
            store=state.store,
            cache=state.cache,
            device=state.device,
            progress=_progress(events),
            cancel=cancel,
            record=record,
        )
        wire_result = encode_result(job, result)  # type: ignore[arg-type]
        upload_results(records.redis, job_id, folder, records.ttl_s)
        records.update(job_id, result=wire_result)
    except Cancelled:
        status = CANCELLED
    except StudioError as exc:
        log.info("job %s (%s) failed: %s", job_id, kind, exc.user_message)
        status, error = FAILED, error_to_wire(exc)
    except Exception as exc:
        log.error("job %s (%s) failed", job_id, kind, exc_info=True)
        status, error = FAILED, error_to_wire(exc)
    finally:
        state.current = None
        shutil.rmtree(folder, ignore_errors=True)
    records.update(job_id, stage_seconds=record.stage_seconds)
    records.finish(job_id, status, error)
    log.info(
        "job %s (%s) %s after %.2f s", job_id, kind, status, sum(record.stage_seconds.values())
    )
    return status


def _live_holder(state: WorkerState, job_id: str) -> str | None:
    """The other worker that is running ``job_id`` and still answers, if any."""
    from studio.scaleout.registry import workers

    if state.records.status(job_id) != RUNNING:
        return None
    record = state.records.read(job_id)
    for card in workers(state.records.redis):
        if (
            card["name"] == record.get("worker") != state.name
            and card["state"] != "gone"
            and card.get("job") == job_id
        ):
            return str(card["name"])
    return None


def _progress(events: Any) -> Any:
    last_preview = [0.0]

    def progress(update: Any) -> None:
        preview = None
        now = time.monotonic()
        if update.preview is not None and (
            now - last_preview[0] >= PREVIEW_INTERVAL_S or update.done >= update.total
        ):
            last_preview[0] = now
            try:
                preview = preview_to_wire(update.preview)
            except Exception:
                log.debug("preview not sent", exc_info=True)
        data = {"stage": update.stage, "done": update.done, "total": update.total}
        events.append("progress", {**data, "eta_s": update.eta_s, "preview": preview})

    return progress


def _cancel_poller(records: Records, job_id: str, cancel: CancelToken) -> Any:
    last = [0.0]

    def poll() -> None:
        now = time.monotonic()
        if now - last[0] < CANCEL_POLL_S:
            return
        last[0] = now
        if records.cancel_requested(job_id):
            cancel.cancel()

    return poll
