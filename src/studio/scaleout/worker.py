"""The ``studio worker`` process: one GPU, one Celery consumer, warm models.

Celery's solo pool runs each job on the main thread, which owns the CUDA device and the warm
:class:`~studio.services.model_cache.ModelCache` for the life of the process (the same rule
as the app's GPU thread); prefetch 1 and late acknowledgement (see
:mod:`studio.scaleout.broker`). A heartbeat thread publishes the worker's card and renews its
job's lease. With ``live=True`` the worker runs no queue: it serves the live WebSocket on its
GPU directly (real-time frames never queue) and announces its address for the gateway.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.scaleout.broker import DEFAULT_VISIBILITY_S, QUEUES, TASK, make_celery, redis_client

log = logging.getLogger(__name__)


@dataclass
class WorkerConfig:
    """Options of ``studio worker`` (see :mod:`studio.clis.worker`)."""

    broker: str
    device: str = "auto"  # "cuda:N" for --gpu N
    queues: tuple[str, ...] = QUEUES
    name: str = ""
    work_dir: Path | None = None
    visibility_timeout: float = DEFAULT_VISIBILITY_S
    result_ttl_s: float = 3600.0
    live: bool = False
    live_host: str = "127.0.0.1"
    live_port: int = 8770
    token: str | None = None
    log_level: str = "WARNING"

    def worker_name(self, device: str) -> str:
        if self.name:
            return self.name
        where = device.replace(":", "") if device != "cpu" else f"cpu{os.getpid()}"
        return f"{'live-' if self.live else ''}{where}@{socket.gethostname()}"

    def resolved_work_dir(self, name: str) -> Path:
        if self.work_dir is not None:
            return Path(self.work_dir)
        from studio.core.paths import cache_dir

        return cache_dir() / "worker" / name.replace("@", "-")


def build_worker_state(config: WorkerConfig, store: Any = None) -> Any:
    """The :class:`~studio.scaleout.task.WorkerState` for ``config`` (device bound here)."""
    from studio.core.device import resolve_device
    from studio.scaleout.records import Records
    from studio.scaleout.task import WorkerState
    from studio.services.execute import bind_device

    if store is None:
        from studio.services.headless import default_store

        store = default_store()
    device = resolve_device(config.device).device if config.device == "auto" else config.device
    bind_device(device)
    name = config.worker_name(device)
    records = Records(redis_client(config.broker), config.result_ttl_s)
    work_dir = config.resolved_work_dir(name)
    work_dir.mkdir(parents=True, exist_ok=True)
    queues = () if config.live else config.queues
    return WorkerState(name, store, records, work_dir, device, queues)


def run_worker(config: WorkerConfig, store: Any = None) -> int:
    """Consume jobs (or serve live frames) until stopped; the process's exit code."""
    from studio.scaleout.registry import Heartbeat
    from studio.scaleout.task import run_job

    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from studio.scaleout.broker import check_reachable

    check_reachable(config.broker)
    state = build_worker_state(config, store)
    if config.live:
        return _serve_live(config, state)
    app = make_celery(config.broker, config.visibility_timeout)
    heartbeat = Heartbeat(state.records.redis, state)

    @app.task(name=TASK, bind=True)
    def run(self: Any, job_id: str, kind: str, wire: Any) -> str:
        try:
            return run_job(state, job_id, kind, wire)
        finally:
            heartbeat.beat_quietly()  # the card says idle at once, not at the next beat

    heartbeat.start()
    print(
        f"Studio worker {state.name} on {state.device}, queues {', '.join(state.queues)}",
        flush=True,
    )
    try:
        worker = app.Worker(
            hostname=state.name,
            queues=list(state.queues),
            pool="solo",
            concurrency=1,
            prefetch_multiplier=1,
            loglevel=config.log_level,
            without_gossip=True,
            without_mingle=True,
            without_heartbeat=True,
            optimization="fair",
        )
        worker.start()
        return int(worker.exitcode or 0)
    finally:
        heartbeat.stop()


def _serve_live(config: WorkerConfig, state: Any) -> int:
    """This GPU as a live server: the same app as ``studio serve`` (its live routes run
    frames on the GPU thread), announced in the worker registry with its address."""
    from studio.scaleout.registry import Heartbeat
    from studio.server.serve import serve
    from studio.server.state import ServerConfig

    server_config = ServerConfig(
        host=config.live_host,
        port=config.live_port,
        token=config.token,
        device=state.device,
        work_dir=state.work_dir / "live",
        result_ttl_s=config.result_ttl_s,
    )
    server_config, generated = server_config.with_token()
    host = socket.gethostname() if config.live_host in ("0.0.0.0", "::") else config.live_host
    state.live_url = f"http://{host}:{config.live_port}"
    heartbeat = Heartbeat(state.records.redis, state)
    heartbeat.start()
    try:
        return serve(server_config, state.store)
    finally:
        heartbeat.stop()
