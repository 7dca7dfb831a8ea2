"""Live: milliseconds per frame through the production ``live.stream`` runner.

Sections (``--only``): ``img2img_eager``, ``img2img_cuda_graph``, ``img2img_compile``,
``compile_warm_start``, ``txt2img_eager`` and ``img2img_plain`` (the optimised modes need
CUDA; ``--smoke`` runs the eager ones and the plain path).
Each runs ``run_stream`` over a source that hands a new camera-like frame every time (so no
frame is skipped as unchanged), after a warm-up stream (model load, graph capture, compile:
``warmup_s``). ``ms_per_frame`` is wall time per frame including upload, decode and
download; ``tolerance`` compares one frame of the mode with the eager frame (levels of 255).
``compile_warm_start`` starts a second process on the same compile cache (Studio's cache
folder in the app; a temporary one here, filled by ``img2img_compile``): its ``warmup_s`` is
what a user waits at a session's start once the machine has compiled once.
``img2img_plain``: diffusers' ``StableDiffusionImg2ImgPipeline`` with the same UNet, text
encoder and TAESD, 2 steps at strength 0.5 (one denoising step, as Studio), guidance 0.
Top level: ``studio_ms`` (best img2img mode), ``plain_ms``, ``ratio`` = plain / studio.

``sdxl_turbo_img2img``: the same stream on SDXL-Turbo with TAESDXL (512 x 512; 64 with
``--smoke``), in the best mode the machine has (CUDA graph on a GPU, eager on the CPU), and
``sd_turbo_img2img`` beside it in the same mode; top level ``fps`` holds both.
``recording``: the stream with its frames going to a :class:`LiveRecorder` (H.264 MP4) and
without, same mode: ``hook_ms_per_frame`` is the time the ``on_frame`` hook takes in the
loop (the recorder only queues the frame; its encoder runs on a thread of its own),
``cost_ms_per_frame`` the difference in wall time per frame (on - off; noisy when small).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scripts.bench.harness import Bench
from scripts.bench.models import install

SECTIONS = (
    "img2img_eager",
    "img2img_cuda_graph",
    "img2img_compile",
    "compile_warm_start",
    "txt2img_eager",
    "img2img_plain",
    "sd_turbo_img2img",
    "sdxl_turbo_img2img",
    "recording",
)


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


def settings_for(bench: Bench, mode: str, model_id: str = "sd-turbo") -> Any:
    from studio.pipelines.live.session import LiveSettings

    side = 64 if bench.smoke else 512
    return LiveSettings(
        model_id=model_id,
        prompt="a watercolour portrait",
        width=side,
        height=side,
        optimise=mode,
        similarity_threshold=1.0,
        max_skip=0,
    )


def stream(
    bench: Bench,
    ctx: Any,
    mode: str,
    img2img: bool,
    frames: int,
    model_id: str = "sd-turbo",
    on_frame: Any = None,
) -> dict[str, Any]:
    import time

    from studio.pipelines.live.jobs import LiveStreamRequest, run_stream
    from studio.pipelines.live.session import LiveControls

    settings = settings_for(bench, mode, model_id)
    side = settings.width
    source = camera(side) if img2img else None

    def request(n: int) -> LiveStreamRequest:
        return LiveStreamRequest(
            controls=LiveControls(settings), source=source, max_frames=n, on_frame=on_frame
        )

    t0 = time.perf_counter()
    run_stream(request(3), ctx)  # load, capture or compile
    warmup_s = time.perf_counter() - t0
    results: list[Any] = []
    seconds = bench.clock(lambda: results.append(run_stream(request(frames), ctx)))
    result = results[0]
    out = {
        "size": f"{side}x{side}",
        "frames": result.frames,
        "rendered": result.rendered,
        "ms_per_frame": seconds * 1000 / frames,
        "fps": frames / seconds,
        "mean_latency_ms": result.mean_latency_ms,
        "warmup_s": warmup_s,
        "path": result.last.optimisation if result.last is not None else "?",
    }
    if img2img and model_id == "sd-turbo":
        out["tolerance"] = {"vs_eager": _vs_eager(ctx, settings, source())}
    return out


def _vs_eager(ctx: Any, settings: Any, frame: Any) -> dict[str, Any]:
    """One frame through the mode's path and through eager, same inputs."""
    import torch
    from scripts.bench.compare import image_tolerance

    from studio.pipelines.live.engine import timestep_for
    from studio.pipelines.live.session import LiveSession

    engine = LiveSession(ctx, settings).engine(settings)
    embeds = engine.prompt_embeds(settings.prompt)
    noise = engine.noise(settings.seed, settings.height, settings.width)
    coeffs = engine.coefficients(timestep_for(settings.strength, False))
    image = torch.from_numpy(frame).to(ctx.device)
    fast = engine.render(image, embeds, coeffs, noise, mode=settings.optimise).cpu().numpy()
    eager = engine.render(image, embeds, coeffs, noise, mode="eager").cpu().numpy()
    return image_tolerance(fast, eager)


def recording_cost(bench: Bench, ctx: Any, mode: str, frames: int, tmp: Path) -> dict[str, Any]:
    """The stream with and without a recording (same mode), and the hook's own time."""
    import time

    from studio.pipelines.live.outputs import LiveOutputs

    hook_s: list[float] = []
    outputs = LiveOutputs()

    def timed_hook(frame: Any) -> None:
        t0 = time.perf_counter()
        outputs(frame)
        hook_s.append(time.perf_counter() - t0)

    off = stream(bench, ctx, mode, True, frames)
    outputs.start_recording(tmp / "recording.mp4", fps=25)
    try:
        on = stream(bench, ctx, mode, True, frames, on_frame=timed_hook)
    finally:
        result = outputs.stop_recording()
    hook_ms = sorted(hook_s[-frames:])  # the timed stream's frames, not the warm-up's
    return {
        "size": on["size"],
        "path": on["path"],
        "frames": frames,
        "ms_per_frame_off": off["ms_per_frame"],
        "ms_per_frame_on": on["ms_per_frame"],
        "cost_ms_per_frame": on["ms_per_frame"] - off["ms_per_frame"],
        "hook_ms_per_frame": hook_ms[len(hook_ms) // 2] * 1000,
        "hook_max_ms": hook_ms[-1] * 1000,
        "recorded_frames": result.frames if result else 0,
        "dropped_frames": result.dropped if result else 0,
    }


def model_fps(bench: Bench, ctx: Any, mode: str, frames: int) -> None:
    """sd-turbo and sdxl-turbo img2img in the same mode, side by side."""
    from scripts.bench.models import build_sdxl

    bench.section("sd_turbo_img2img", lambda: stream(bench, ctx, mode, True, frames))
    ctx.cache.clear()
    install(ctx, bench.size, "sdxl-turbo", "taesdxl", using={"sdxl-turbo": build_sdxl})
    bench.section(
        "sdxl_turbo_img2img",
        lambda: stream(bench, ctx, mode, True, frames, model_id="sdxl-turbo"),
    )
    ctx.cache.clear()
    fps = {
        model: bench.results[name]["fps"]
        for model, name in (("sd-turbo", "sd_turbo_img2img"), ("sdxl-turbo", "sdxl_turbo_img2img"))
        if "fps" in bench.results.get(name, {})
    }
    if fps:
        bench.results["fps"] = fps


def plain_img2img(bench: Bench, ctx: Any, frames: int) -> dict[str, Any]:
    """diffusers' img2img pipeline (sd-turbo's model card usage) with TAESD, PIL in and out."""
    from diffusers import AutoencoderTiny, StableDiffusionImg2ImgPipeline
    from PIL import Image

    settings = settings_for(bench, "eager")
    sd, taesd = ctx.store.require_all("sd-turbo", "taesd")
    pipe = StableDiffusionImg2ImgPipeline.from_pretrained(
        sd, torch_dtype=ctx.dtype, variant="fp16", safety_checker=None, local_files_only=True
    )
    pipe.vae = AutoencoderTiny.from_pretrained(taesd, torch_dtype=ctx.dtype, local_files_only=True)
    pipe = pipe.to(ctx.device)
    pipe.set_progress_bar_config(disable=True)
    source = camera(settings.width)

    def frame() -> Any:
        return pipe(
            settings.prompt,
            image=Image.fromarray(source()),
            num_inference_steps=2,
            strength=0.5,
            guidance_scale=0.0,
        ).images[0]

    timing = bench.time(frame, repeat=frames, warmup=3)
    return {"ms_per_frame": timing["median_ms"], "frames": frames, "path": "diffusers eager"}


def warm_start(bench: Bench, tmp: Path, frames: int) -> dict[str, Any]:
    """``img2img_compile`` again in a new process over the same model store and cache."""
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.live_warm", str(tmp / "models"), str(frames)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"warm start exited {done.returncode}: {done.stderr[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_all(bench: Bench, ctx: Any, args: Any, tmp: Path) -> None:
    import os

    install(ctx, bench.size, "sd-turbo", "taesd")
    # A fresh compile cache: img2img_compile pays the first compile, compile_warm_start not.
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(tmp / "compile_cache" / "inductor")
    os.environ["TRITON_CACHE_DIR"] = str(tmp / "compile_cache" / "triton")
    frames = 5 if bench.smoke else 100
    modes = ("eager", "cuda_graph", "compile") if bench.is_cuda or bench.only else ("eager",)
    for mode in modes:
        bench.section(f"img2img_{mode}", lambda m=mode: stream(bench, ctx, m, True, frames))
    if bench.is_cuda and "error" not in bench.results.get("img2img_compile", {"error": 1}):
        ctx.cache.clear()  # the warm-start process needs the GPU memory
        bench.section("compile_warm_start", lambda: warm_start(bench, tmp, frames))
    bench.section("txt2img_eager", lambda: stream(bench, ctx, "eager", False, frames))
    quick = "cuda_graph" if bench.is_cuda else "eager"
    bench.section("recording", lambda: recording_cost(bench, ctx, quick, frames, tmp))
    ctx.cache.clear()
    if bench.wanted("sd_turbo_img2img") or bench.wanted("sdxl_turbo_img2img"):
        model_fps(bench, ctx, quick, frames)
    bench.section("img2img_plain", lambda: plain_img2img(bench, ctx, 3 if bench.smoke else 50))
    best = [
        v["ms_per_frame"]
        for k, v in bench.results.items()
        if k.startswith("img2img_")
        and k != "img2img_plain"
        and isinstance(v, dict)
        and "ms_per_frame" in v
    ]
    if best:
        bench.results["img2img_best_ms"] = min(best)
        bench.results["studio_ms"] = min(best)
        plain = bench.results.get("img2img_plain", {})
        if "ms_per_frame" in plain:
            bench.results["plain_ms"] = plain["ms_per_frame"]
            bench.results["ratio"] = round(plain["ms_per_frame"] / min(best), 3)
