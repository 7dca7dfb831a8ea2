"""``studio gallery``: the results Studio remembers, and the settings inside exported files.

studio gallery list [--workspace canvas] [--limit 20]
studio gallery search "red balloon"
studio gallery show 12            # one result's settings (JSON)
studio gallery show photo.png     # the settings Studio wrote into an exported file
studio gallery forget-missing     # drop results whose files are gone
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from studio.core.errors import StudioError


def register(subparsers: Any) -> None:
    """Add the ``gallery`` subcommand."""
    p = subparsers.add_parser("gallery", help="results with their settings; settings in files")
    ops = p.add_subparsers(dest="gallery_op", required=True)
    ls = ops.add_parser("list", help="newest first")
    ls.add_argument("--workspace", choices=("canvas", "headshots", "lipsync", "live"))
    ls.add_argument("--limit", type=int, default=50)
    find = ops.add_parser("search", help="results whose prompt has these words")
    find.add_argument("text")
    find.add_argument("--workspace", choices=("canvas", "headshots", "lipsync", "live"))
    find.add_argument("--limit", type=int, default=50)
    show = ops.add_parser("show", help="a result's settings, or the settings in an image file")
    show.add_argument("what", help="a result number or an exported PNG/JPEG/WebP")
    ops.add_parser("forget-missing", help="drop results whose output files are gone")
    p.set_defaults(func=main)


def _line(entry: Any) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))
    seed = "" if entry.seed is None else f" seed {entry.seed}"
    prompt = f" '{entry.prompt}'" if entry.prompt else ""
    files = f"  {entry.outputs[0]}" if entry.outputs else ""
    return f"{entry.id:>5}  {when}  {entry.kind}{prompt}{seed}{files}"


def _run(args: argparse.Namespace) -> int:
    from studio.core.gallery import Gallery, read_settings

    op = args.gallery_op
    if op == "show" and not args.what.isdigit():
        print(json.dumps(read_settings(Path(args.what)), indent=1, ensure_ascii=False))
        return 0
    with Gallery() as gallery:
        if op == "list":
            entries = gallery.entries(args.workspace, limit=max(1, args.limit))
        elif op == "search":
            entries = gallery.search(args.text, args.workspace, limit=max(1, args.limit))
        elif op == "show":
            entry = gallery.get(int(args.what))
            print(json.dumps(entry.settings, indent=1, ensure_ascii=False))
            return 0
        else:
            gone = gallery.delete_missing()
            print(f"forgot {len(gone)} result(s) whose files are gone")
            return 0
    for entry in entries:
        print(_line(entry))
    if not entries:
        print("no results", file=sys.stderr)
    return 0


def main(args: argparse.Namespace) -> int:
    """Run one gallery command; ``error: <message>`` and exit code 2 on failure."""
    try:
        return _run(args)
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
