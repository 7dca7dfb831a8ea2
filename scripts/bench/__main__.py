"""``python -m scripts.bench <workspace> [--smoke] [--only a,b] [--repeat N] [--out FILE]``.

Workspaces: canvas, headshots, lipsync, live (timed ``run()`` functions), soak (memory over
many service jobs) and startup (process start to a usable main window, in subprocesses).
Real sizes on CUDA; ``--smoke`` runs tiny models on the CPU in seconds.
Progress goes to stderr, the JSON result to stdout (and ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

WORKSPACES = ("canvas", "headshots", "lipsync", "live", "soak", "startup")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument("workspace", choices=WORKSPACES)
    parser.add_argument("--smoke", action="store_true", help="tiny models on the CPU")
    parser.add_argument("--only", default="", help="comma list of sections")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per number")
    parser.add_argument("--device", default="", help="default: cuda:0 when present, else cpu")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--steps", type=int, default=8, help="canvas fill: LCM steps")
    parser.add_argument("--jobs", type=int, default=None, help="soak: jobs (1000; 30 smoke)")
    parser.add_argument("--seconds", type=float, default=None, help="lipsync: speech length")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.workspace == "soak":
        from scripts.bench import soak

        result = soak.main(args)
    elif args.workspace == "startup":  # app start to a usable window, in subprocesses
        from scripts.bench import startup

        result = startup.main(args)
    else:
        result = run_workspace(args)
    text = json.dumps(result, indent=1, default=str)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if any(isinstance(v, dict) and "error" in v for v in result.values()) else 0


def run_workspace(args: argparse.Namespace) -> dict:
    import importlib

    from scripts.bench.harness import make_bench, round_floats

    bench = make_bench(args.smoke, args.repeat, args.only, args.device)
    module = importlib.import_module(f"scripts.bench.{args.workspace}")
    unknown = bench.only - set(module.SECTIONS)
    if unknown:
        sys.exit(f"unknown sections {sorted(unknown)}; {args.workspace} has {module.SECTIONS}")
    bench.results.update(bench.header())
    bench.partial = args.out
    with tempfile.TemporaryDirectory(prefix=f"bench_{args.workspace}_") as tmp:
        ctx = bench.context(Path(tmp) / "models")
        module.run_all(bench, ctx, args, Path(tmp))
        ctx.cache.clear()
    return round_floats(bench.results)


if __name__ == "__main__":
    raise SystemExit(main())
