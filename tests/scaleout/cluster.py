"""A real scale-out cluster on 127.0.0.1 for the tests: ``redis-server``, ``studio worker``
processes and a ``studio serve --broker`` gateway, each a subprocess stopped by its pid.

Everything waits on conditions (with generous timeouts), never on fixed delays.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VISIBILITY_S = 6  # a killed worker's job goes to another worker after this (heartbeat 2 s)
START_TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    condition: Callable[[], Any], timeout: float = 120.0, what: str = "a condition"
) -> Any:
    """Poll ``condition()`` until it returns something truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # a server still starting, a restarting Redis
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


def stop_process(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit (a worker finishes its current job first)."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class Cluster:
    """The processes of one test session, by name."""

    def __init__(
        self,
        root: Path,
        env: dict[str, str],
        redis_server: str | None = None,
        persistent: bool = True,
    ) -> None:
        """``redis_server``: the binary (default: ``redis-server`` on the PATH);
        ``persistent``: an append-only file, so Redis can restart without losing state."""
        self.root = root
        self.env = env
        self.redis_server = redis_server or shutil.which("redis-server")
        self.persistent = persistent
        self.redis_port = free_port()
        self.broker = f"redis://127.0.0.1:{self.redis_port}/0"
        self.gateway_port = free_port()
        self.url = f"http://127.0.0.1:{self.gateway_port}"
        self.redis_proc: subprocess.Popen | None = None
        self.gateway: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self.worker_args: dict[str, list[str]] = {}

    # --- Redis
    def start_redis(self) -> None:
        server = self.redis_server
        assert server, "redis-server is not installed (scripts/setup.sh --test installs it)"
        data = self.root / "redis"
        data.mkdir(exist_ok=True)
        aof = ["yes", "--appendfsync", "always"] if self.persistent else ["no"]
        args = ["--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                "--dir", str(data), "--protected-mode", "yes", "--appendonly", *aof]  # fmt: skip
        self.redis_proc = subprocess.Popen(
            [server, *args],
            stdout=open(self.root / "redis.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._redis_answers, 30, "redis-server")

    def _redis_answers(self) -> bool:
        import redis

        return bool(redis.Redis(port=self.redis_port, socket_connect_timeout=1).ping())

    def restart_redis(self) -> None:
        """Stop Redis (it writes its append-only file) and start it again on the same port."""
        assert self.redis_proc is not None
        stop_process(self.redis_proc)
        self.start_redis()

    def redis(self) -> Any:
        from studio.scaleout.broker import redis_client

        return redis_client(self.broker)

    # --- workers and gateway
    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "studio", *args],
            cwd=REPO,
            env=env,
            stdout=open(self.root / f"{name}.log", "ab"),
            stderr=subprocess.STDOUT,
        )

    def start_worker(self, name: str, queues: str, models_dir: Path, device: str = "cpu") -> None:
        args = [
            "worker",
            "--broker",
            self.broker,
            "--device",
            device,
            "--name",
            name,
            "--queues",
            queues,
            "--work-dir",
            str(self.root / name),
            "--visibility-timeout",
            str(VISIBILITY_S),
            "--log-level",
            "INFO",
        ]
        env = {**self.env, "STUDIO_MODELS_DIR": str(models_dir)}
        self.worker_args[name] = args
        self.workers[name] = self._spawn(name, args, env)
        self._worker_env = getattr(self, "_worker_env", {})
        self._worker_env[name] = env

    def start_live_worker(self, name: str, port: int, models_dir: Path) -> None:
        args = [
            "worker", "--broker", self.broker, "--device", "cpu", "--name", name, "--live",
            "--live-port", str(port), "--work-dir", str(self.root / name),
        ]  # fmt: skip
        env = {**self.env, "STUDIO_MODELS_DIR": str(models_dir)}
        self.worker_args[name] = args
        self.workers[name] = self._spawn(name, args, env)
        self._worker_env = getattr(self, "_worker_env", {})
        self._worker_env[name] = env

    def stop_worker(self, name: str) -> None:
        stop_process(self.workers.pop(name))

    def restart_worker(self, name: str) -> None:
        self.workers[name] = self._spawn(name, self.worker_args[name], self._worker_env[name])
        self.wait_worker(name)

    def wait_worker(self, name: str) -> dict[str, Any]:
        def ready() -> Any:
            proc = self.workers[name]
            assert proc.poll() is None, f"worker {name} exited; see {self.root / name}.log"
            card = self.card(name)
            return card if card and card["state"] != "gone" and card["pid"] == proc.pid else None

        return wait_for(ready, START_TIMEOUT_S, f"worker {name}")  # type: ignore[no-any-return]

    def card(self, name: str) -> dict[str, Any] | None:
        from studio.scaleout.registry import workers

        return next((c for c in workers(self.redis()) if c["name"] == name), None)

    def start_gateway(self) -> None:
        args = [
            "serve",
            "--broker",
            self.broker,
            "--port",
            str(self.gateway_port),
            "--work-dir",
            str(self.root / "gateway"),
            "--device",
            "cpu",
        ]
        self.gateway = self._spawn("gateway", args, self.env)

        def healthy() -> bool:
            import httpx

            assert self.gateway is not None and self.gateway.poll() is None, "gateway exited"
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200

        wait_for(healthy, START_TIMEOUT_S, "the gateway")

    def restart_gateway(self) -> None:
        assert self.gateway is not None
        stop_process(self.gateway)
        self.start_gateway()

    def client(self) -> Any:
        from studio.remote.client import StudioClient

        return StudioClient(self.url, timeout=60)

    def stop(self) -> None:
        for proc in [*self.workers.values(), self.gateway]:
            if proc is not None:
                proc.send_signal(signal.SIGTERM) if proc.poll() is None else None
        for proc in [*self.workers.values(), self.gateway]:
            if proc is not None:
                stop_process(proc)
        if self.redis_proc is not None:
            stop_process(self.redis_proc)


def process_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(REPO / "src"),
        STUDIO_HOME=str(home),
        HF_HUB_OFFLINE="1",
        NUMBA_DISABLE_JIT="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    return env
