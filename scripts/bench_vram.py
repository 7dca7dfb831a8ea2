#!/usr/bin/env python
"""Every workspace's benchmark job under GPU memory caps of 6-24 GB; prints one JSON object.

    python scripts/bench_vram.py                        # caps 6, 8, 12, 16, 24 GiB
    python scripts/bench_vram.py --caps 8 --jobs fill,pack
    python scripts/bench_vram.py --smoke                # tiny models on the CPU, no cap

The models are built once, with random weights in their published shapes and layouts, by
``scripts.bench.models.install`` (random weights time exactly like trained ones). Then one
process per cap limits torch to that much memory
(``torch.cuda.set_per_process_memory_fraction``), tells the memory planner the same figure
(as the VRAM budget setting does) and runs each job's production runner (the workspaces'
``JOBS`` tables) through ``studio.pipelines.plan_runner.run_with_plan``: the plan choice and
the one-step out-of-memory fallback the app uses. Jobs: ``segment`` (SAM ViT-H embedding +
click, 1024^2), ``segment_streamed`` (the same with ViT-H streamed layer by layer: the plan
before the ViT-B fallback), ``remove`` (LaMa), ``upscale`` (Real-ESRGAN x4, 1024 -> 4096),
``fill`` (SDXL inpaint 1024^2, LCM 8 steps), ``pack`` (40 drafts + top 10 refined and
upscaled; without dlib installed, the pack's own stages after the selfie check with a fixed
identity), ``lipsync`` (10 s of speech to MP4) and ``live`` (30 img2img frames, 512^2).
Each job runs once cold (loading included: ``first_s``) and once warm (``s``); ``peak_gib``
is the larger peak of the two (allocated; ``reserved_gib`` is what the cap limits). Models
are evicted between jobs, as when a user switches workspaces.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # scripts.bench (model builders, inputs) and tests.fixtures

GIB = 2**30
JOB_NAMES = (
    "segment",
    "segment_streamed",
    "remove",
    "upscale",
    "fill",
    "pack",
    "lipsync",
    "live",
)
HEADSHOT_MODELS = ("realvisxl-v4-lightning", "instantid", "antelopev2", "taesdxl")
LIPSYNC_MODELS = ("musetalk-v15", "sd-vae-ft-mse", "whisper-tiny", "face-parse-bisenet")
MODELS_FOR = {
    "segment": ("sam-vit-h", "sam-vit-b"),
    "segment_streamed": ("sam-vit-h", "sam-vit-b"),
    "remove": ("lama-big",),
    "upscale": ("realesrgan-x4plus",),
    "fill": ("sdxl-inpaint", "lcm-lora-sdxl"),
    "pack": HEADSHOT_MODELS + ("realesrgan-x4plus",),
    "lipsync": LIPSYNC_MODELS + ("antelopev2",),
    "live": ("sd-turbo", "taesd"),
}


def sync(device: str) -> None:
    """Wait for queued GPU work, so wall-clock timings measure it."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _context(root: Path, device: str) -> Any:
    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.pipelines.context import RunContext
    from studio.services.model_cache import ModelCache

    return RunContext(store=ModelStore(root, load_catalogue()), cache=ModelCache(), device=device)


def store_root(root: Path, job: str) -> Path:
    """Lipsync's face detector stand-in differs from the headshots one: its own store."""
    return root / ("models_lipsync" if job == "lipsync" else "models")


def build_stores(root: Path, smoke: bool, job_names: list[str]) -> float:
    """Install what ``job_names`` need (seconds taken)."""
    import torch
    from scripts.bench.models import LIPSYNC_DETECTOR, install

    device = "cuda:0" if torch.cuda.is_available() and not smoke else "cpu"
    t0 = time.perf_counter()
    for name in job_names:
        ctx = _context(store_root(root, name), device)
        using = {"antelopev2": LIPSYNC_DETECTOR} if name == "lipsync" else None
        install(ctx, "tiny" if smoke else "real", *MODELS_FOR[name], using=using)
        if device != "cpu":
            torch.cuda.empty_cache()
    return round(time.perf_counter() - t0, 1)


def timed_attempt(
    runner: Any,
    request: Any,
    ctx: Any,
    kind: str,
    budget: int,
    plans: list[str],
    override: str = "auto",
) -> float:
    """Seconds for one job through the plan runner (the app's plan choice and fallback)."""
    from studio.pipelines.plan_runner import run_with_plan

    sync(ctx.device)
    t0 = time.perf_counter()
    run_with_plan(
        runner,
        request,
        ctx,
        kind,
        budget_bytes=budget,
        override=override,
        free_memory=ctx.cache.clear,
        on_plan=lambda p: plans.append(p.label),
    )
    sync(ctx.device)
    return round(time.perf_counter() - t0, 3)


def run_child(args: argparse.Namespace) -> int:
    import torch
    from scripts.vram_jobs import jobs

    from studio.core.device import free_gpu_memory
    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.pipelines.context import RunContext
    from studio.services.model_cache import ModelCache

    cuda = torch.cuda.is_available() and not args.smoke
    device = "cuda:0" if cuda else "cpu"
    budget = int(args.cap * GIB) if cuda else 0
    if cuda:
        total = torch.cuda.get_device_properties(0).total_memory
        torch.cuda.set_per_process_memory_fraction(min(1.0, budget / total), 0)
    else:
        torch.set_num_threads(min(4, os.cpu_count() or 1))
    messages: list[str] = []

    started = time.perf_counter()
    last: list[str] = [""]

    def progress(stage: str, done: int, total: int, preview: Any = None) -> None:
        if stage.startswith("Out of memory") and stage not in messages:
            messages.append(stage)
        if stage != last[0]:  # where the time goes, even when the cap's time runs out
            last[0] = stage
            mem = torch.cuda.memory_allocated() / GIB if cuda else 0.0
            print(
                f"STAGE {time.perf_counter() - started:7.2f} s {stage} ({done}/{total})"
                f" {mem:.2f} GiB",
                file=sys.stderr,
                flush=True,
            )

    tmp = Path(tempfile.mkdtemp(prefix=f"bench_vram_{args.cap}_"))
    table = jobs(args.smoke, tmp)
    for name in args.jobs.split(","):
        kind, runner, warm, timed, *override = table[name]
        override = override[0] if override else "auto"
        store = ModelStore(store_root(Path(args.root), name), load_catalogue())
        ctx = RunContext(store=store, cache=ModelCache(), device=device, progress=progress)
        messages.clear()
        plans: list[str] = []
        out: dict[str, Any] = {"cap_gib": args.cap, "job": name, "kind": kind}

        try:
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            out["first_s"] = timed_attempt(runner, warm, ctx, kind, budget, plans, override)
            out["s"] = timed_attempt(runner, timed, ctx, kind, budget, plans, override)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
            out["error"] = f"{type(exc).__name__}: {getattr(exc, 'user_message', exc)}"
            out["trace"] = traceback.format_exc(limit=4)[-1500:]
        out["plan"] = plans[-1] if plans else None
        out["plans_tried"] = list(dict.fromkeys(plans))
        out["fallbacks"] = list(messages)
        if cuda:
            out["peak_gib"] = round(torch.cuda.max_memory_allocated() / GIB, 2)
            out["reserved_gib"] = round(torch.cuda.max_memory_reserved() / GIB, 2)
        ctx.cache.clear()  # switching workspaces: the next job starts with an empty GPU
        free_gpu_memory()
        print(json.dumps(out), flush=True)
    return 0


def table_line(r: dict[str, Any]) -> str:
    """One readable line per (cap, job) for the README table."""
    head = f"{r['cap_gib']:>4g} GiB {r['job']:<8} "
    if "error" in r:
        return head + f"FAILED {r['error'][:160]}"
    line = (
        f"{r.get('s', 0):7.2f} s (cold {r.get('first_s', 0):.1f} s) "
        f"peak {r.get('peak_gib', 0):5.2f} GiB  {r.get('plan')}"
    )
    return head + line + (f"  [{'; '.join(r['fallbacks'])}]" if r.get("fallbacks") else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caps", default="6,8,12,16,24", help="GiB, comma list")
    parser.add_argument("--jobs", default=",".join(JOB_NAMES), help=",".join(JOB_NAMES))
    parser.add_argument("--smoke", action="store_true", help="tiny models on the CPU")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cap")
    parser.add_argument("--root", default="", help="an existing store from an earlier run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cap", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args)
    import torch

    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__,
        "smoke": args.smoke,
        "jobs": args.jobs,
    }
    root = Path(args.root or tempfile.mkdtemp(prefix="bench_vram_store_"))
    if not args.root:
        result["build_s"] = build_stores(root, args.smoke, args.jobs.split(","))
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    rows: list[dict[str, Any]] = []
    for cap in [float(c) for c in args.caps.split(",")]:
        cmd = [sys.executable, __file__, "--child", "--cap", str(cap), "--root", str(root)]
        cmd += ["--jobs", args.jobs] + (["--smoke"] if args.smoke else [])
        t0 = time.perf_counter()
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.timeout, check=False
            )
            stdout, stderr, code = done.stdout, done.stderr, done.returncode
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
            stages = "\n".join(line for line in err.splitlines() if line.startswith("STAGE"))
            stderr, code = f"timed out after {args.timeout} s\n{stages}", -1
        for line in (stderr or "").splitlines():
            if line.startswith("STAGE"):
                print(f"cap {cap:g}: {line}", file=sys.stderr)
        for line in stdout.splitlines():
            if line.startswith("{"):
                rows.append(json.loads(line))
        finished = {r["job"] for r in rows if r["cap_gib"] == cap}
        for name in args.jobs.split(","):
            if name not in finished:
                rows.append({"cap_gib": cap, "job": name, "error": f"no result (rc {code})"})
                rows[-1]["stderr"] = (stderr or "")[-3000:]
        print(f"cap {cap:g} GiB done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        for row in rows:  # as soon as each cap is done: a run cut short still reports
            if row["cap_gib"] == cap:
                print("ROW " + json.dumps(row), file=sys.stderr, flush=True)
    result["rows"] = rows
    result["table"] = [table_line(r) for r in rows]
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
