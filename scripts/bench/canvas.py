"""Canvas: the production ``run()`` of segment, remove, fill, upscale and cut-out.

Sections (``--only``): ``sam_b``, ``sam_h``, ``lama``, ``fill``, ``upscale``, ``cutout``.

- SAM: ``embed`` is a click on a new image (``image_key`` unseen: the embedding is computed),
  ``click_*`` a click on an embedded one, with the app's ``image_key`` or by hashing the image.
- ``remove_<side>``: LaMa with the whole image as its window (``margin`` 1.0).
- ``fill_run``: fast mode (LCM-LoRA fused, guidance 1) with SDXL's own VAE (fp32 upcast);
  ``fp16_fix_vae_fill_run`` the same once the optional fp16-fix VAE is installed.
- ``upscale_tile_<n>`` / ``upscale_untiled``: Real-ESRGAN x4.
- ``cutout``: rembg around a stand-in U2-Net graph (see :mod:`scripts.bench.models`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scripts.bench.harness import Bench
from scripts.bench.models import install

SECTIONS = ("sam_b", "sam_h", "lama", "fill", "upscale", "cutout")


def photo(side: int) -> np.ndarray:
    """A real photo (scikit-image's astronaut) scaled to ``side`` x ``side``; a smooth
    synthetic picture where scikit-image is not installed (the GPU machine)."""
    from PIL import Image

    try:
        from skimage import data

        image = Image.fromarray(data.astronaut())
    except ImportError:
        y, x = np.mgrid[0:512, 0:512] / 512.0
        rgb = np.stack([x, y, (x + y) / 2], axis=-1) * 255
        image = Image.fromarray(rgb.astype(np.uint8))
    return np.asarray(image.resize((side, side), Image.Resampling.BICUBIC)).copy()


def centre_mask(side: int) -> np.ndarray:
    mask = np.zeros((side, side), np.uint8)
    mask[side // 4 : 3 * side // 4, side // 4 : 3 * side // 4] = 255
    return mask


def bench_sam(bench: Bench, ctx: Any, model_id: str) -> dict[str, Any]:
    from studio.pipelines.canvas.segment import SegmentRequest, run

    install(ctx, bench.size, model_id)
    side = 256 if bench.smoke else 1024
    image = photo(side)
    points = [(side * 0.4, side * 0.5), (side * 0.6, side * 0.4), (side * 0.5, side * 0.8)]
    fresh = iter(range(10**9))

    def click(key: str | None) -> Any:
        req = SegmentRequest(
            image=image, points=points, labels=[1, 1, 0], model=model_id, image_key=key
        )
        return run(req, ctx)

    out: dict[str, Any] = {"image": f"{side}x{side}"}
    out["embed"] = bench.time(lambda: click(f"new-{next(fresh)}"))
    click("bench")
    out["click_pipeline_with_image_key"] = bench.time(lambda: click("bench"), bench.repeat * 3)
    out["click_pipeline_hashing_image"] = bench.time(lambda: click(None), bench.repeat * 3)
    return out


def bench_lama(bench: Bench, ctx: Any) -> dict[str, Any]:
    from studio.pipelines.canvas.remove import RemoveRequest, run

    install(ctx, bench.size, "lama-big")
    out: dict[str, Any] = {}
    for side in (64,) if bench.smoke else (1024, 2048):
        req = RemoveRequest(image=photo(side), mask=centre_mask(side), margin=1.0, max_side=side)
        out[f"remove_{side}"] = bench.time(lambda r=req: run(r, ctx))
    return out


def bench_fill(bench: Bench, ctx: Any, steps: int) -> dict[str, Any]:
    from studio.pipelines.canvas.fill import FillRequest, run

    install(ctx, bench.size, "sdxl-inpaint", "lcm-lora-sdxl")
    side = 64 if bench.smoke else 1024
    req = FillRequest(
        image=photo(side),
        mask=centre_mask(side),
        prompt="a red balloon",
        steps=steps,
        guidance=1.0,
        fast=True,
        seed=1,
        work_side=side,
    )
    out: dict[str, Any] = {"size": f"{side}x{side}", "steps": steps, "scheduler": "LCM"}
    out["fill_run"] = bench.time(lambda: run(req, ctx))
    ctx.cache.clear()  # the fp16-fix VAE is a different cached pipeline: free the first one
    install(ctx, bench.size, "sdxl-vae-fp16-fix")
    out["fp16_fix_vae_fill_run"] = bench.time(lambda: run(req, ctx))
    return out


def bench_upscale(bench: Bench, ctx: Any) -> dict[str, Any]:
    from studio.pipelines.canvas.upscale import UpscaleRequest, run

    install(ctx, bench.size, "realesrgan-x4plus")
    side = 64 if bench.smoke else 1024
    image = photo(side)
    out: dict[str, Any] = {"input": f"{side}x{side}", "output": f"{side * 4}x{side * 4}"}
    for tile in (32, 0) if bench.smoke else (512, 0):
        key = f"upscale_tile_{tile}" if tile else "upscale_untiled"
        out[key] = bench.time(lambda t=tile: run(UpscaleRequest(image=image, tile=t), ctx))
    return out


def bench_cutout(bench: Bench, ctx: Any) -> dict[str, Any]:
    from studio.pipelines.canvas.cutout import CutoutRequest, run

    install(ctx, bench.size, "rembg-u2net")
    side = 256 if bench.smoke else 1024
    req = CutoutRequest(image=photo(side))
    return {
        "image": f"{side}x{side}",
        "model": "stand-in graph",
        "cutout": bench.time(lambda: run(req, ctx)),
    }


def run_all(bench: Bench, ctx: Any, args: Any, tmp: Path) -> None:
    steps = 2 if bench.smoke else args.steps
    jobs = {
        "sam_b": lambda: bench_sam(bench, ctx, "sam-vit-b"),
        "sam_h": lambda: bench_sam(bench, ctx, "sam-vit-h"),
        "lama": lambda: bench_lama(bench, ctx),
        "fill": lambda: bench_fill(bench, ctx, steps),
        "upscale": lambda: bench_upscale(bench, ctx),
        "cutout": lambda: bench_cutout(bench, ctx),
    }
    for name, job in jobs.items():
        bench.section(name, job)
        ctx.cache.clear()
