"""Live: milliseconds per frame through the production ``live.stream`` runner.

Sections (``--only``): ``img2img_eager``, ``img2img_cuda_graph``, ``img2img_compile`` and
``txt2img_eager`` (the optimised modes need CUDA; ``--smoke`` runs the eager ones).
Each runs ``run_stream`` over a source that hands a new camera-like frame every time (so no
frame is skipped as unchanged), after a warm-up stream (model load, graph capture, compile).
``ms_per_frame`` is wall time per frame including upload, decode and download;
``img2img_best_ms`` the best img2img mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scripts.bench.harness import Bench
from scripts.bench.models import install

SECTIONS = ("img2img_eager", "img2img_cuda_graph", "img2img_compile", "txt2img_eager")


def camera(side: int) -> Any:
    """A source of distinct frames: a real photo with a moving bright bar."""
    from scripts.bench.canvas import photo

    base = photo(side)
    count = iter(range(10**9))

    def next_frame() -> np.ndarray:
        frame = base.copy()
        x = (next(count) * 7) % side
        frame[:, x : x + side // 8] = 255
        return frame

    return next_frame


def stream(bench: Bench, ctx: Any, mode: str, img2img: bool, frames: int) -> dict[str, Any]:
    from studio.pipelines.live.jobs import LiveStreamRequest, run_stream
    from studio.pipelines.live.session import LiveControls, LiveSettings

    side = 64 if bench.smoke else 512
    settings = LiveSettings(
        prompt="a watercolour portrait",
        width=side,
        height=side,
        optimise=mode,
        similarity_threshold=1.0,
        max_skip=0,
    )
    source = camera(side) if img2img else None

    def request(n: int) -> LiveStreamRequest:
        return LiveStreamRequest(controls=LiveControls(settings), source=source, max_frames=n)

    run_stream(request(3), ctx)  # load, capture or compile
    results: list[Any] = []
    seconds = bench.clock(lambda: results.append(run_stream(request(frames), ctx)))
    result = results[0]
    return {
        "size": f"{side}x{side}",
        "frames": result.frames,
        "rendered": result.rendered,
        "ms_per_frame": seconds * 1000 / frames,
        "mean_latency_ms": result.mean_latency_ms,
    }


def run_all(bench: Bench, ctx: Any, args: Any, tmp: Path) -> None:
    install(ctx, bench.size, "sd-turbo", "taesd")
    frames = 5 if bench.smoke else 100
    modes = ("eager", "cuda_graph", "compile") if bench.is_cuda or bench.only else ("eager",)
    for mode in modes:
        bench.section(f"img2img_{mode}", lambda m=mode: stream(bench, ctx, m, True, frames))
    bench.section("txt2img_eager", lambda: stream(bench, ctx, "eager", False, frames))
    best = [
        v["ms_per_frame"]
        for k, v in bench.results.items()
        if k.startswith("img2img") and isinstance(v, dict) and "ms_per_frame" in v
    ]
    if best:
        bench.results["img2img_best_ms"] = min(best)
