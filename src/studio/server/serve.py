"""Run the server: the job API (and live routes) on one port, the lipsync routes on another.

Both apps share one :class:`~studio.server.state.ServerState` (one GPU thread, one job store)
and run in one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from typing import Any

from studio.models.store import ModelStore
from studio.server.state import ServerConfig, build_state

GRACE_S = 5  # open streams (SSE, MJPEG) are cut this long after Ctrl+C


def uvicorn_servers(config: ServerConfig, store: ModelStore | None = None) -> tuple[Any, list[Any]]:
    """The state and the ``uvicorn.Server`` objects for ``config`` (not started)."""
    import warnings

    import uvicorn

    # uvicorn warns, on every start, that its "websockets" protocol will change name: a note
    # for developers (tracked here), not for the person who runs `studio serve`.
    warnings.filterwarnings("ignore", message=r".*`websockets` implementation is deprecated")
    from studio.server.app import create_app
    from studio.server.lipsync_compat import create_lipsync_app

    state = build_state(config, store)
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                create_app(state),
                host=config.host,
                port=config.port,
                log_level="warning",
                ws="websockets",
                timeout_graceful_shutdown=GRACE_S,
            )
        )
    ]
    if config.lipsync_port:
        servers.append(
            uvicorn.Server(
                uvicorn.Config(
                    create_lipsync_app(state),
                    host=config.host,
                    port=config.lipsync_port,
                    log_level="warning",
                    lifespan="off",
                    timeout_graceful_shutdown=GRACE_S,
                )
            )
        )
    return state, servers


def serve(config: ServerConfig, store: ModelStore | None = None) -> int:
    """Serve until interrupted (Ctrl+C / SIGTERM); prints where, and a generated token once."""
    config, generated = config.with_token()
    state, servers = uvicorn_servers(config, store)
    url = f"http://{config.host}:{config.port}"
    if config.broker:
        print(f"queueing jobs to the workers of {_hide_password(config.broker)}", flush=True)
    print(
        f"Studio server on {url} (device {state.worker.device}, work dir "
        f"{config.resolved_work_dir()})",
        flush=True,
    )
    if config.lipsync_port:
        print(f"lipsync routes on http://{config.host}:{config.lipsync_port}", flush=True)
    if generated:
        print(f"token (shown once): {config.token}", flush=True)
        print(f"clients: --server {url} --token {config.token}", file=sys.stderr, flush=True)

    async def main() -> None:
        # One handler stops every server: uvicorn's own would stop only the last one started,
        # then re-raise the signal and kill the process before the GPU thread shut down.
        def stop(*_: Any) -> None:
            for server in servers:
                server.should_exit = True

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop)
            except (NotImplementedError, RuntimeError):  # Windows
                signal.signal(sig, stop)
        for server in servers:
            server.capture_signals = contextlib.nullcontext
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(main())
    return 0


def _hide_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
