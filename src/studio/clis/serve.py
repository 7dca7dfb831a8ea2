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

from studio.cli_options import bounded_float, bounded_int

port_number = bounded_int(1, 65535)


def device_setting(text: str) -> str:
    """``--device``: auto, cpu, cuda or cuda:N (a typo would otherwise run on the CPU, or
    fail with a traceback on the first job)."""
    value = text.strip().lower()
    index = value.removeprefix("cuda:")
    if value in ("auto", "cpu", "cuda") or (value.startswith("cuda:") and index.isdigit()):
        return value
    raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N, got '{text}'")


def work_folder(text: str) -> Path:
    """``--work-dir``: a folder, made if missing; never an existing file."""
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"'{text}' is a file; give a folder")
    return path


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    p = subparsers.add_parser("serve", help="serve this GPU over HTTP (job API, live, lipsync)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8765, help="1-65535 (default 8765)")
    p.add_argument("--token", default=None, help="required from clients (generated if needed)")
    p.add_argument(
        "--lipsync-port", type=port_number, default=None, help="also serve the lipsync routes here"
    )
    p.add_argument("--work-dir", type=work_folder, default=None, help="uploads and results")
    p.add_argument(
        "--device", type=device_setting, default="auto", help="auto, cpu, cuda, cuda:1 ..."
    )
    p.add_argument("--max-upload-mb", type=bounded_int(1, 1 << 20), default=512, help="default 512")
    p.add_argument(
        "--result-ttl",
        type=bounded_float(1, 365 * 24 * 3600.0),
        default=3600.0,
        help="seconds results are kept",
    )
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
