"""``--server URL [--token T]`` for the workspace commands, in one place.

A command adds the options with :func:`add_server_arguments`, builds its context with
:func:`cli_context` and runs each job through :func:`job_runner`, which returns the local
runner, or a :class:`~studio.remote.client.RemoteRunner` when ``--server`` was given::

    add_server_arguments(parser)
    ...
    ctx = cli_context(args, quiet=args.quiet)
    result = job_runner(args, "canvas.remove", remove)(request, ctx)

``STUDIO_SERVER`` and ``STUDIO_SERVER_TOKEN`` give the defaults. A ``--server`` that is not
an ``http://`` or ``https://`` URL is refused by argparse (``argument --server: ...``, exit 2)
before anything else runs.
"""

from __future__ import annotations

import argparse
import os
from typing import Any
from urllib.parse import urlsplit


def server_url(text: str) -> str:
    """An argparse type: ``http(s)://host[:port][/prefix]``, without a trailing slash."""
    value = text.strip()
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in value)
    ):
        raise argparse.ArgumentTypeError(
            f"expected the server's URL, like http://gpu-box:8765, got '{text}'"
        )
    return value.rstrip("/")


server_url.__name__ = "URL"


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--server`` and ``--token`` to a command."""
    group = parser.add_argument_group("remote GPU")
    group.add_argument(
        "--server",
        default=os.environ.get("STUDIO_SERVER") or None,
        type=server_url,
        metavar="URL",
        help="run on a Studio server (studio serve), e.g. http://gpu-box:8765",
    )
    group.add_argument(
        "--token",
        default=os.environ.get("STUDIO_SERVER_TOKEN") or None,
        help="the server's token (printed by studio serve)",
    )


def remote(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "server", None))


def cli_context(args: argparse.Namespace, *, quiet: bool = False) -> Any:
    """The command's :class:`~studio.pipelines.context.RunContext`; with ``--server`` it
    binds no device and loads no model (only progress and cancel are used)."""
    from studio.services.headless import headless_context

    if not remote(args):
        return headless_context(quiet=quiet)
    from studio.core.progress import CancelToken, null_progress
    from studio.pipelines.context import RunContext
    from studio.services.headless import console_progress, default_store
    from studio.services.model_cache import ModelCache

    return RunContext(
        store=default_store(),
        cache=ModelCache(),
        device="cpu",
        progress=null_progress if quiet else console_progress,
        cancel=CancelToken(),
    )


def job_runner(args: argparse.Namespace, kind: str, local: Any) -> Any:
    """``local`` itself, or the same job kind on ``args.server``."""
    if not remote(args):
        return local
    from studio.remote.client import StudioClient

    return reachable_runner(StudioClient(args.server, args.token), kind)


def reachable_runner(client: Any, kind: str) -> Any:
    """A :class:`~studio.remote.client.RemoteRunner` for ``kind`` whose network failures
    (a closed port, a dropped download) end in
    :class:`~studio.remote.client.ServerUnavailable` with a message, never a raw ``httpx``
    error; the CLI and the desktop app both build their remote runners here."""
    import httpx

    from studio.remote.client import RemoteRunner, ServerUnavailable

    class ReachableRunner(RemoteRunner):
        def __call__(self, request: Any, ctx: Any) -> Any:
            try:
                return super().__call__(request, ctx)
            except httpx.TransportError as exc:
                raise ServerUnavailable(
                    f"The Studio server at {self.client.url} cannot be reached. "
                    "Is `studio serve` running?",
                    repr(exc),
                ) from exc

    return ReachableRunner(client, kind)


def check_server(url: str, token: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
    """The server's ``/health`` once the token is known to be accepted (Settings' "Test
    connection"); :class:`~studio.core.errors.StudioError` with the reason otherwise."""
    from studio.core.errors import BadInput, StudioError
    from studio.remote.client import StudioClient, check

    try:
        url = server_url(url)
    except argparse.ArgumentTypeError:
        raise BadInput(f"'{url}' is not a server URL like http://gpu-box:8765.") from None
    client = StudioClient(url, token or None, timeout=timeout)
    try:
        health = client.health()  # open to everyone: reachability only
        guarded = client.http.head(f"/v1/uploads/{'0' * 64}")  # 404 here, or 401 (token)
        if guarded.status_code == 401:
            check(guarded)
    except StudioError:
        raise
    except Exception as exc:  # not JSON, a dropped connection: not a Studio server (now)
        raise StudioError(
            f"The server at {url} does not answer like a Studio server.", repr(exc)
        ) from exc
    finally:
        client.close()
    if not isinstance(health, dict) or health.get("status") != "ok":
        raise StudioError(f"The server at {url} does not answer like a Studio server.")
    return health


def remote_workspace_jobs(url: str, token: str | None = None) -> dict[str, Any]:
    """Every workspace job kind for the desktop app's GPU thread when Settings -> Compute is a
    server: the kinds a server runs go there (each keeping its table's ``every_update``),
    ``live.stream`` over the WebSocket, and what must stay local (re-rolling one image of a
    pack held here) stays local."""
    from studio.pipelines.jobspec import JobSpec, workspace_jobs
    from studio.remote.client import StudioClient
    from studio.remote.live_client import RemoteLiveStream
    from studio.remote.wire import LOCAL_ONLY

    client = StudioClient(url, token or None)
    table: dict[str, Any] = {}
    for kind, spec in workspace_jobs().items():
        if kind == "live.stream":
            remote_runner: Any = RemoteLiveStream(url, token or None)
        elif kind in LOCAL_ONLY:
            table[kind] = spec
            continue
        else:
            remote_runner = reachable_runner(client, kind)
        table[kind] = JobSpec(remote_runner, every_update=spec.every_update)
    return table
