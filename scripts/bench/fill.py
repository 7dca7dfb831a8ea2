"""Canvas fill against diffusers' ``StableDiffusionXLInpaintPipeline`` on the same work.

Both sides: the installed SDXL inpainting weights with LCM-LoRA fused, the LCM scheduler,
``steps`` steps, guidance 1, one 1024^2 image (64^2 with ``--smoke``). Jobs:
``fill_run`` with SDXL's own VAE and ``fp16_fix_vae_fill_run`` with the fp16-fix VAE (the
plain pipeline gets the same VAE). ``tolerance.cuda_graph_vs_eager`` compares Studio's
result with its UNet graphs against the same run with them suspended (eager);
``tolerance.vs_plain_pipeline`` Studio's pixels with diffusers' output for the same seed and
mask, where Studio pastes its pipeline output unblended.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scripts.bench.compare import headline, image_tolerance, job
from scripts.bench.harness import Bench
from scripts.bench.models import install


def _studio_job(
    bench: Bench, ctx: Any, req: Any, plain_time: dict[str, float], plain_run: Callable
) -> dict:
    import numpy as np

    from studio.pipelines.canvas import unet_graph
    from studio.pipelines.canvas.fill import _pipeline, run

    timing = bench.time(lambda: run(req, ctx))
    done = run(req, ctx)
    result = done.images[0]
    pipe = _pipeline(ctx, req)  # the warm cached pipeline
    graphed = unet_graph.installed(pipe.unet)
    # diffusers on the mask Studio's pipeline saw, same seed: where the blend weight is 255
    # Studio's pixels are its pipeline output unchanged, so the two should agree there.
    inside = done.alpha == 255
    expected = plain_run((done.alpha > 0).astype(np.uint8) * 255)
    tolerance: dict[str, Any] = {
        "vs_plain_pipeline": image_tolerance(result[inside], expected[inside])
    }
    if graphed is not None and graphed.replays:
        with unet_graph.suspended(pipe.unet):
            eager = run(req, ctx).images[0]
        tolerance["cuda_graph_vs_eager"] = image_tolerance(result, eager)
        path = "UNet CUDA graph"
    else:
        failed = graphed.failed if graphed is not None else None
        path = "eager" + (f" (graph capture failed: {failed})" if failed else "")
    vae = pipe.vae
    if getattr(vae, "_studio_fp32", False):
        path += ", SDXL VAE kept fp32"
    else:
        path += f", VAE {str(next(vae.parameters()).dtype).removeprefix('torch.')}"
    stats = graphed.stats() if graphed is not None else None
    return job(timing, plain_time, tolerance=tolerance, path=path, unet_graph=stats)


def bench_fill(
    bench: Bench,
    ctx: Any,
    steps: int,
    photo: Callable[[int], Any],
    centre_mask: Callable[[int], Any],
) -> dict[str, Any]:
    from scripts.bench import canvas_plain as plain

    from studio.pipelines.canvas.fill import LCM_LORA_ID, SDXL_INPAINT_ID, VAE_FIX_ID, FillRequest

    install(ctx, bench.size, SDXL_INPAINT_ID, LCM_LORA_ID)
    side = 64 if bench.smoke else 1024
    image, mask = photo(side), centre_mask(side)
    prompt = "a red balloon"
    req = FillRequest(
        image=image,
        mask=mask,
        prompt=prompt,
        steps=steps,
        guidance=1.0,
        fast=True,
        seed=1,
        work_side=side,
    )
    out: dict[str, Any] = {"size": f"{side}x{side}", "steps": steps, "scheduler": "LCM"}
    reference = plain.fill_pipeline(
        ctx.store.require(SDXL_INPAINT_ID), ctx.store.require(LCM_LORA_ID), ctx.device, ctx.dtype
    )

    def plain_time() -> dict[str, float]:
        return bench.time(lambda: plain.fill(reference, image, mask, prompt, steps))

    def plain_run(hole: Any) -> Any:
        return plain.fill(reference, image, hole, prompt, steps)

    out["jobs"] = {"fill_run": _studio_job(bench, ctx, req, plain_time(), plain_run)}
    ctx.cache.clear()  # the fp16-fix VAE is a different cached pipeline: free the first one
    install(ctx, bench.size, VAE_FIX_ID)
    plain.use_vae(reference, ctx.store.require(VAE_FIX_ID), ctx.device, ctx.dtype)
    out["jobs"]["fp16_fix_vae_fill_run"] = _studio_job(bench, ctx, req, plain_time(), plain_run)
    for name, numbers in out["jobs"].items():  # the keys earlier runs reported
        out[name] = {"median_ms": numbers["studio_ms"]}
    headline(out, "fill_run")
    return out
