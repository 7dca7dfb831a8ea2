"""What one ``studio serve`` holds: its settings, uploads, jobs, GPU thread, metrics, live hub.

Safe by default: it binds 127.0.0.1; any other address needs a token (given, or generated and
printed once). With a token set, every request but ``GET /health`` must carry it.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.models.store import ModelStore

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ServerConfig:
    """Options of ``studio serve`` (see :mod:`studio.clis.serve`)."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    work_dir: Path | None = None  # default: <cache>/server
    lipsync_port: int | None = None
    device: str = "auto"
    max_upload_bytes: int = 512 * 2**20
    result_ttl_s: float = 3600.0
    upload_ttl_s: float = 24 * 3600.0
    broker: str | None = None  # redis://...: queue jobs to ``studio worker``s (issue 14)

    def with_token(self) -> tuple[ServerConfig, bool]:
        """This config with a token where the bind needs one; ``True`` when it was generated
        here (the caller prints it once)."""
        if self.token or is_local(self.host):
            return self, False
        return _replace(self, token=secrets.token_urlsafe(24)), True

    def resolved_work_dir(self) -> Path:
        if self.work_dir is not None:
            return Path(self.work_dir)
        from studio.core.paths import cache_dir

        return cache_dir() / "server"


def _replace(config: ServerConfig, **changes: Any) -> ServerConfig:
    import dataclasses

    return dataclasses.replace(config, **changes)


def token_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; everything passes when the server has no token."""
    if not expected:
        return True
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


@dataclass
class ServerState:
    """The running parts; :func:`build_state` makes them, ``start``/``stop`` run the GPU thread."""

    config: ServerConfig
    store: ModelStore
    uploads: Any
    jobs: Any
    worker: Any
    metrics: Any
    live: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        if self.live is not None:
            self.live.close()
        self.worker.stop()


def build_state(config: ServerConfig, store: ModelStore | None = None) -> ServerState:
    """Everything :func:`~studio.server.app.create_app` serves, over ``store`` (default: the
    user's model store) on the configured device."""
    from studio.core.device import resolve_device
    from studio.server.jobs import JobStore
    from studio.server.live import LiveHub
    from studio.server.metrics import Metrics
    from studio.server.uploads import UploadStore
    from studio.server.worker import GpuWorker

    if store is None:
        from studio.services.headless import default_store

        store = default_store()
    if config.broker:
        from studio.scaleout.gateway import build_queue_state

        return build_queue_state(config, store)  # type: ignore[no-any-return]
    device = resolve_device(config.device).device if config.device == "auto" else config.device
    root = config.resolved_work_dir()
    uploads = UploadStore(root / "uploads", config.max_upload_bytes, config.upload_ttl_s)
    jobs = JobStore(root / "jobs", config.result_ttl_s)
    metrics = Metrics(device)

    def sweep() -> None:
        jobs.sweep()
        uploads.sweep()

    worker = GpuWorker(store, jobs, metrics, device=device, sweep=sweep)
    state = ServerState(config, store, uploads, jobs, worker, metrics)
    state.live = LiveHub(worker)
    return state
