"""``studio worker``: one GPU as a Celery worker behind ``studio serve --broker``.

``studio worker --broker redis://HOST:6379/0 [--gpu N] [--queues canvas,headshots,lipsync]
[--live --live-port 8770]``. Start one per GPU; each keeps its models warm between jobs.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from studio.core.errors import BadInput


def register(subparsers: Any) -> None:
    """Add the ``worker`` subcommand."""
    from studio.cli_options import bounded_float, bounded_int
    from studio.clis.serve import device_setting, port_number, work_folder
    from studio.scaleout.broker import DEFAULT_VISIBILITY_S, QUEUES

    seconds = bounded_float(1, 365 * 24 * 3600.0)

    p = subparsers.add_parser("worker", help="run jobs from a Redis queue on one GPU (Celery)")
    p.add_argument(
        "--broker",
        default=os.environ.get("STUDIO_BROKER"),
        help="Redis URL, e.g. redis://127.0.0.1:6379/0 (or $STUDIO_BROKER)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--gpu", type=bounded_int(0, 63), default=None, help="the GPU index this worker owns"
    )
    where.add_argument("--device", type=device_setting, default="auto", help="auto, cpu, cuda:N")
    p.add_argument(
        "--queues",
        default=",".join(QUEUES),
        help=f"workspaces to serve, comma-separated (of {', '.join(QUEUES)})",
    )
    p.add_argument("--name", default="", help="worker name (default: gpuN@host)")
    p.add_argument("--work-dir", type=work_folder, default=None)
    p.add_argument(
        "--visibility-timeout",
        type=seconds,
        default=DEFAULT_VISIBILITY_S,
        help="seconds after which a silent worker's job goes to another worker",
    )
    p.add_argument("--result-ttl", type=seconds, default=3600.0, help="seconds results are kept")
    p.add_argument("--live", action="store_true", help="serve live sessions directly instead")
    p.add_argument("--live-host", default="127.0.0.1")
    p.add_argument("--live-port", type=port_number, default=8770)
    p.add_argument("--token", default=None, help="token for the live server (non-local binds)")
    p.add_argument(
        "--log-level",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="WARNING",
    )
    p.set_defaults(func=main)


def parse_queues(text: str) -> tuple[str, ...]:
    from studio.scaleout.broker import QUEUES

    queues = tuple(q.strip() for q in text.split(",") if q.strip())
    unknown = [q for q in queues if q not in QUEUES]
    if unknown or not queues:
        raise BadInput(f"Queues are some of {', '.join(QUEUES)} (got '{text}').")
    return queues


def main(args: argparse.Namespace) -> int:
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        from studio.core.errors import StudioError

        raise StudioError("The worker needs extra packages: pip install 'studio[scale]'.") from None
    if not args.broker:
        raise BadInput("Give the Redis address: --broker redis://HOST:6379/0.")
    from studio.scaleout.worker import WorkerConfig, run_worker

    config = WorkerConfig(
        broker=args.broker,
        device=f"cuda:{args.gpu}" if args.gpu is not None else args.device,
        queues=parse_queues(args.queues),
        name=args.name,
        work_dir=args.work_dir,
        visibility_timeout=args.visibility_timeout,
        result_ttl_s=args.result_ttl,
        live=args.live,
        live_host=args.live_host,
        live_port=args.live_port,
        token=args.token,
        log_level=args.log_level.upper(),
    )
    return run_worker(config)
