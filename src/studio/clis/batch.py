"""``studio batch headshots --selfies-dir people/ --style studio-white -n 40 -o packs/``:
one headshot pack per person (each sub-folder of ``people/`` holds one person's selfies),
queued as one batch on a ``studio serve --broker`` gateway and spread over its workers.

``studio batch status ID`` shows a batch's progress (it runs on without the command: Ctrl+C
only stops following it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from studio.core.errors import StudioError


def register(subparsers: Any) -> None:
    """Add the ``batch`` subcommand."""
    p = subparsers.add_parser("batch", help="many jobs as one batch on a --broker server")
    sub = p.add_subparsers(dest="batch_command", required=True)
    h = sub.add_parser("headshots", help="one headshot pack per person folder")
    h.add_argument("--selfies-dir", type=Path, required=True, help="one sub-folder per person")
    h.add_argument("--style", default="corporate")
    h.add_argument("--prompt", default="", help="extra prompt text")
    h.add_argument("-n", "--count", type=int, default=40, help="drafts per pack")
    h.add_argument("--size", type=int, default=1024)
    h.add_argument("--top-k", type=int, default=4, help="drafts refined per pack")
    h.add_argument("--no-upscale", action="store_true")
    h.add_argument("--seed", type=int, default=0)
    h.add_argument("-o", "--output", type=Path, required=True, help="packs land in OUTPUT/<person>")
    h.add_argument("--no-wait", action="store_true", help="submit and print the batch id")
    _server_args(h)
    h.set_defaults(func=_headshots)
    s = sub.add_parser("status", help="a batch's progress")
    s.add_argument("batch_id")
    _server_args(s)
    s.set_defaults(func=_status)


def _server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", default=os.environ.get("STUDIO_SERVER", "http://127.0.0.1:8765"))
    p.add_argument("--token", default=os.environ.get("STUDIO_TOKEN"))


def _client(args: argparse.Namespace) -> Any:
    from studio.remote.client import StudioClient

    return StudioClient(args.server, args.token)


def _headshots(args: argparse.Namespace) -> int:
    from studio.pipelines.headshots.pack import PackRequest, check_request, resolve_style
    from studio.scaleout.batch_client import (
        follow_batch,
        person_folders,
        progress_line,
        submit_batch,
    )

    try:
        people = person_folders(args.selfies_dir)
        requests = {}
        for name, selfies in people.items():
            request = PackRequest(
                selfies=selfies,
                style=args.style,
                custom_prompt=args.prompt,
                count=args.count,
                size=args.size,
                refine_top_k=args.top_k,
                upscale=not args.no_upscale,
                seed=args.seed,
                folder=args.output / name,
            )
            check_request(request)
            resolve_style(request)
            requests[name] = request
        client = _client(args)
        batch = submit_batch(client, "headshots.pack", requests)
        print(f"batch {batch.id}: {len(requests)} packs queued", flush=True)
        if args.no_wait:
            return 0
        last = [""]

        def report(status: dict[str, Any]) -> None:
            line = progress_line(status)
            if line != last[0]:
                print(line, file=sys.stderr, flush=True)
                last[0] = line

        def done(name: str, result: Any) -> None:
            print(f"{name}: {len(result.pack.images)} images in {result.folder}", flush=True)

        try:
            final = follow_batch(client, "headshots.pack", batch, report, on_done=done)
        except KeyboardInterrupt:
            print(f"\nbatch {batch.id} goes on; see: studio batch status {batch.id}")
            return 130
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    failed = final["counts"].get("failed", 0) + final["counts"].get("cancelled", 0)
    return 1 if failed else 0


def _status(args: argparse.Namespace) -> int:
    from studio.scaleout.batch_client import batch_status, progress_line

    try:
        status = batch_status(_client(args), args.batch_id)
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    print(progress_line(status))
    for pack in status["packs"]:
        progress = pack.get("progress") or {}
        where = f" on {pack['worker']}" if pack.get("worker") else ""
        steps = f" {progress['stage']} {progress['done']}/{progress['total']}" if progress else ""
        print(f"  {pack['name']:<24} {pack['status']:<10}{where}{steps}")
    return 0
