"""``studio serve``: this computer's GPU as a service for the app, the CLI and scripts.

``studio serve [--host 127.0.0.1] [--port 8765] [--token T] [--lipsync-port 7002]
[--work-dir D] [--broker redis://HOST:6379/0]``; with ``--broker`` jobs go to ``studio worker``
processes (one per GPU, any machine) instead of this computer's GPU.
It binds 127.0.0.1 unless told otherwise; any other address needs a token
(``--token``, or one is generated and printed once).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    p = subparsers.add_parser("serve", help="serve this GPU over HTTP (job API, live, lipsync)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--token", default=None, help="required from clients (generated if needed)")
    p.add_argument(
        "--lipsync-port", type=int, default=None, help="also serve the lipsync routes here"
    )
    p.add_argument("--work-dir", type=Path, default=None, help="uploads and results")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--max-upload-mb", type=int, default=512)
    p.add_argument("--result-ttl", type=float, default=3600.0, help="seconds results are kept")
    p.add_argument(
        "--broker",
        default=None,
        help="redis://HOST:6379/0: queue jobs to `studio worker`s instead of this GPU",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        from studio.core.errors import StudioError

        raise StudioError(
            "The server needs extra packages: pip install 'studio[server]'."
        ) from None
    if args.broker:
        try:
            import celery  # noqa: F401
            import redis  # noqa: F401
        except ImportError:
            from studio.core.errors import StudioError

            raise StudioError(
                "Queueing to workers needs extra packages: pip install 'studio[scale]'."
            ) from None
    from studio.server.serve import serve
    from studio.server.state import ServerConfig

    config = ServerConfig(
        host=args.host,
        port=args.port,
        token=args.token,
        work_dir=args.work_dir,
        lipsync_port=args.lipsync_port,
        device=args.device,
        max_upload_bytes=args.max_upload_mb * 2**20,
        result_ttl_s=args.result_ttl,
        broker=args.broker,
    )
    return serve(config)
