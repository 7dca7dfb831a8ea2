"""``studio workers``: the queue's workers, their GPU, queues, warm models and state.

``studio workers [--server URL [--token T] | --broker redis://...] [--json]``. A worker that
stopped answering shows as ``gone`` (its job goes back to the queue).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``workers`` subcommand."""
    p = subparsers.add_parser("workers", help="list the workers behind a --broker server")
    p.add_argument("--server", default=os.environ.get("STUDIO_SERVER", "http://127.0.0.1:8765"))
    p.add_argument("--token", default=os.environ.get("STUDIO_TOKEN"))
    p.add_argument("--broker", default=None, help="read Redis directly instead of the server")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=main)


def fetch_workers(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.broker:
        from studio.scaleout.broker import redis_client
        from studio.scaleout.registry import workers

        return workers(redis_client(args.broker))
    from studio.remote.client import StudioClient

    client = StudioClient(args.server, args.token)
    try:
        return list(client._send("GET", "/v1/workers").json()["workers"])
    finally:
        client.close()


def format_table(cards: list[dict[str, Any]]) -> str:
    rows = [("NAME", "STATE", "DEVICE", "QUEUES", "JOB", "WARM MODELS")]
    for c in cards:
        rows.append(
            (
                c["name"],
                c["state"],
                c.get("device", "?"),
                ",".join(c.get("queues") or []) or ("live " + c["live"] if c.get("live") else "-"),
                c.get("job") or "-",
                ", ".join(c.get("warm") or []) or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        for r in rows
    )


def main(args: argparse.Namespace) -> int:
    cards = fetch_workers(args)
    if args.json:
        print(json.dumps(cards, indent=2))
    elif not cards:
        print("no workers")
    else:
        print(format_table(cards))
    return 0
