"""Canvas: the production ``run()`` of segment, remove, fill, upscale and cut-out.

Sections (``--only``): ``sam_b``, ``sam_h``, ``lama``, ``fill``, ``upscale``, ``cutout``,
``expand``, ``face_detail``, ``text_select``.

- SAM: ``embed`` is a click on a new image (``image_key`` unseen: the embedding is computed),
  ``click_*`` a click on an embedded one, with the app's ``image_key`` or by hashing the image.
- ``remove_<side>``: LaMa with the whole image as its window (``margin`` 1.0).
- ``fill_run``: fast mode (LCM-LoRA fused, guidance 1) with SDXL's own VAE (fp32 upcast);
  ``fp16_fix_vae_fill_run`` the same once the optional fp16-fix VAE is installed.
- ``upscale_tile_<n>`` / ``upscale_untiled``: Real-ESRGAN x4.
- ``cutout``: rembg around a stand-in U2-Net graph (see :mod:`scripts.bench.models`).
- ``expand``: 1024^2 -> 1536x1024 (512 px on the right) in 8 LCM steps: the LaMa pre-fill,
  SDXL inpainting of the new strip and the seam blend (64^2 -> 96x64 in 2 steps with
  ``--smoke``). Issue 16's target on an H200: under 1.2 s.
- ``face_detail``: one 1024^2 portrait, RestoreFormer (published shapes, random weights)
  after the face detector (the tests' stand-in, which always finds one face). Target: under
  150 ms per portrait.
- ``text_select``: CLIPSeg rd64-refined (published shapes) + SAM ViT-B refinement on a 1024^2
  photo, the image's SAM embedding warm (as after the first click) and ``clipseg_only``
  (no refinement). Target: under 100 ms.

Each of ``sam_*``, ``lama``, ``fill`` and ``upscale`` also does the same work the plain way
(:mod:`scripts.bench.canvas_plain`, :mod:`scripts.bench.fill`) and reports per job, under
``jobs``: ``studio_ms``, ``plain_ms``, ``ratio`` (plain / studio), ``path`` (which faster
path ran) and ``tolerance`` against the eager fp32 reference (:mod:`scripts.bench.compare`);
the headline job's numbers are repeated at the top of the section. Plain paths: SAM,
segment-anything's ``SamPredictor`` on the fp32 model; LaMa, spandrel's model call in fp32
on the mask Studio's LaMa saw; upscale, spandrel's untiled call (fp16 on CUDA); fill,
diffusers' ``StableDiffusionXLInpaintPipeline`` with the same weights and VAE.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scripts.bench.compare import headline, image_tolerance, job, mask_iou, tensor_tolerance
from scripts.bench.harness import Bench
from scripts.bench.models import install

SECTIONS = (
    "sam_b",
    "sam_h",
    "lama",
    "fill",
    "upscale",
    "cutout",
    "expand",
    "face_detail",
    "text_select",
)


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
    from scripts.bench import canvas_plain as plain

    from studio.pipelines.canvas.segment import SAM_MODELS, SegmentRequest, _predictor, embed, run

    install(ctx, bench.size, model_id)
    side = 256 if bench.smoke else 1024
    image = photo(side)
    points = [(side * 0.4, side * 0.5), (side * 0.6, side * 0.4), (side * 0.5, side * 0.8)]
    labels = [1, 1, 0]
    fresh = iter(range(10**9))

    def click(key: str | None) -> Any:
        req = SegmentRequest(image, points, labels, model=model_id, image_key=key)
        return run(req, ctx)

    out: dict[str, Any] = {"image": f"{side}x{side}"}
    out["embed"] = bench.time(lambda: click(f"new-{next(fresh)}"))
    studio_mask = click("bench").mask
    out["click_pipeline_with_image_key"] = bench.time(lambda: click("bench"), bench.repeat * 3)
    out["click_pipeline_hashing_image"] = bench.time(lambda: click(None), bench.repeat * 3)
    sam = _predictor(ctx, model_id).model
    path = "fp16 autocast" if ctx.is_cuda else "fp32"
    path += " + fused attention (SDPA)" if getattr(sam, "_studio_sdpa", False) else ""
    studio_features = embed(ctx, _predictor(ctx, model_id), model_id, image, "bench")[0].features

    reference = plain.sam(ctx.store.require(model_id) / SAM_MODELS[model_id], ctx.device)
    plain_embed = bench.time(lambda: reference.set_image(image))
    plain_mask = plain.sam_click(reference, points, labels)
    plain_click = bench.time(lambda: plain.sam_click(reference, points, labels), bench.repeat * 3)
    tolerance = {
        "features_vs_fp32": tensor_tolerance(studio_features, reference.features),
        "mask_iou_vs_fp32": mask_iou(studio_mask, plain_mask),
    }
    out["jobs"] = {
        "embed": job(out["embed"], plain_embed, tolerance=tolerance, path=path),
        "click": job(
            out["click_pipeline_with_image_key"],
            plain_click,
            tolerance={"mask_iou_vs_fp32": tolerance["mask_iou_vs_fp32"]},
            path=path,
        ),
    }
    headline(out, "embed")
    return out


def bench_lama(bench: Bench, ctx: Any) -> dict[str, Any]:
    from scripts.bench import canvas_plain as plain

    from studio.pipelines.canvas.remove import LAMA_FILE, RemoveRequest, run
    from studio.pipelines.canvas.spandrel_models import load_spandrel

    install(ctx, bench.size, "lama-big")
    reference = plain.lama(
        plain.spandrel_model(ctx.store.require("lama-big") / LAMA_FILE, ctx.device, False),
        ctx.device,
    )
    out: dict[str, Any] = {"jobs": {}}
    for side in (64,) if bench.smoke else (1024, 2048):
        image, mask = photo(side), centre_mask(side)
        req = RemoveRequest(image=image, mask=mask, margin=1.0, max_side=side)
        studio = bench.time(lambda r=req: run(r, ctx))
        result = run(req, ctx)
        # The plain call gets the mask Studio's LaMa saw (the feathered blend's support);
        # where the blend weight is 255 Studio's pixels are its model output unchanged.
        hole = (result.alpha > 0).astype(np.uint8) * 255
        expected = reference(image, hole)
        inside, outside = result.alpha == 255, result.alpha == 0
        tolerance = image_tolerance(result.image[inside], expected[inside])
        tolerance["outside_mask_identical"] = bool((result.image[outside] == image[outside]).all())
        out[f"remove_{side}"] = studio
        path = getattr(load_spandrel(ctx, "lama-big", LAMA_FILE, "LaMa"), "studio_path", "?")
        out["jobs"][f"remove_{side}"] = job(
            studio,
            bench.time(lambda i=image, m=hole: reference(i, m)),
            tolerance=tolerance,
            path=path,
        )
    headline(out, "remove_64" if bench.smoke else "remove_1024")
    return out


def bench_fill(bench: Bench, ctx: Any, steps: int) -> dict[str, Any]:
    from scripts.bench.fill import bench_fill as run_fill

    return run_fill(bench, ctx, steps, photo, centre_mask)


def bench_upscale(bench: Bench, ctx: Any) -> dict[str, Any]:
    from scripts.bench import canvas_plain as plain

    from studio.pipelines.canvas.upscale import ESRGAN_FILE, UpscaleRequest, effective_tile, run

    install(ctx, bench.size, "realesrgan-x4plus")
    side = 64 if bench.smoke else 1024
    image = photo(side)
    weights = ctx.store.require("realesrgan-x4plus") / ESRGAN_FILE
    fp32 = plain.upscale(plain.spandrel_model(weights, ctx.device, half=False), ctx.device)
    expected = fp32(image)  # the eager fp32 reference, untiled
    user = plain.upscale(plain.spandrel_model(weights, ctx.device, half=ctx.is_cuda), ctx.device)
    plain_time = bench.time(lambda: user(image))
    out: dict[str, Any] = {"input": f"{side}x{side}", "output": f"{side * 4}x{side * 4}"}
    out["jobs"] = {}
    dtype = "fp16" if ctx.is_cuda else "fp32"
    for tile in (32, 0) if bench.smoke else (512, 0):
        key = f"upscale_tile_{tile}" if tile else "upscale_untiled"
        req = UpscaleRequest(image=image, tile=tile)
        out[key] = bench.time(lambda r=req: run(r, ctx))
        used = effective_tile(tile, ctx, half=ctx.is_cuda)
        layout = ", channels-last" if ctx.is_cuda else ""
        out["jobs"][key] = job(
            out[key],
            plain_time,
            tolerance=image_tolerance(run(req, ctx).image, expected),
            path=f"{dtype}{layout}, tile {used or 'none (whole image)'}",
        )
    out["plain_vs_fp32"] = image_tolerance(user(image), expected)
    headline(out, "upscale_tile_32" if bench.smoke else "upscale_tile_512")
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


def bench_expand(bench: Bench, ctx: Any) -> dict[str, Any]:
    from studio.pipelines.canvas.expand import ExpandRequest, run

    install(ctx, bench.size, "lama-big", "sdxl-inpaint", "lcm-lora-sdxl")
    side, steps = (64, 2) if bench.smoke else (1024, 8)
    req = ExpandRequest(
        image=photo(side), right=side // 2, steps=steps, fast=True, seed=1, work_side=side
    )
    result = run(req, ctx)
    h, w = result.image.shape[:2]
    return {
        "input": f"{side}x{side}",
        "output": f"{w}x{h}",
        "steps": steps,
        "original_kept": bool((result.image[:, :side] == req.image).all()),
        "expand": bench.time(lambda: run(req, ctx), warmup=_warmed(bench)),
    }


def bench_face_detail(bench: Bench, ctx: Any) -> dict[str, Any]:
    from studio.pipelines.canvas.face_detail import FaceDetailRequest, run

    install(ctx, bench.size, "antelopev2", "restoreformer", using={"restoreformer": _restorer})
    side = 192 if bench.smoke else 1024
    req = FaceDetailRequest(image=photo(side), strength=0.7)
    faces = len(run(req, ctx).boxes)
    return {
        "image": f"{side}x{side}",
        "faces": faces,
        "detector": "stand-in (tests/fixtures)",
        "face_detail": bench.time(lambda: run(req, ctx), warmup=_warmed(bench)),
    }


def bench_text_select(bench: Bench, ctx: Any) -> dict[str, Any]:
    from studio.pipelines.canvas.text_select import CLIPSEG_ID, TextSelectRequest, heat_map, run

    install(ctx, bench.size, CLIPSEG_ID, "sam-vit-b", using={CLIPSEG_ID: _clipseg})
    side = 64 if bench.smoke else 1024
    image = photo(side)
    # Random weights: a threshold every image passes (a quarter of it), so SAM always runs.
    heat = heat_map(ctx, image, "the astronaut")
    threshold = float(np.clip(np.quantile(heat, 0.75), 1e-3, 0.999))
    req = TextSelectRequest(image=image, prompt="the astronaut", threshold=threshold)
    coarse = TextSelectRequest(image, "the astronaut", threshold=threshold, refine=False)
    refined = run(req, ctx).refined  # also embeds the image for SAM, as the first click does
    return {
        "image": f"{side}x{side}",
        "refined_by_sam": refined,
        "text_select": bench.time(lambda: run(req, ctx), warmup=_warmed(bench)),
        "clipseg_only": bench.time(lambda: run(coarse, ctx), warmup=_warmed(bench)),
    }


def _warmed(bench: Bench) -> int | None:
    """Warm-up calls: none more with ``--smoke`` (a first call already ran), else the
    harness's (CUDA graphs and autotuning settle over a few calls)."""
    return 0 if bench.smoke else None


def _restorer(folder: Path, size: str, ctx: Any) -> None:
    """RestoreFormer in the published ``RestoreFormer.pth`` layout (``params_ema``)."""
    import torch

    with torch.device("cpu"):
        if size == "tiny":
            from tests.fixtures.face_restore_models import build_tiny_restoreformer

            build_tiny_restoreformer(folder)
            return
        from spandrel.architectures.RestoreFormer import RestoreFormer

        folder.mkdir(parents=True, exist_ok=True)
        torch.save({"params_ema": RestoreFormer().state_dict()}, folder / "RestoreFormer.pth")


def _clipseg(folder: Path, size: str, ctx: Any) -> None:
    """CLIPSeg in ``CIDAS/clipseg-rd64-refined``'s layout: transformers' default CLIPSeg
    (ViT-B/16, reduce_dim 64) with the refined decoder and a 352 px processor; a 2-layer one
    at 32 px for ``--smoke``. A letters-only CLIP tokenizer (prompts tokenize as words do)."""
    import torch
    from tests.fixtures.diffusion import write_tiny_clip_tokenizer
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation, ViTImageProcessor

    vocab = write_tiny_clip_tokenizer(folder, pad_token="!")
    if size == "tiny":
        small = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2}
        config = CLIPSegConfig(
            text_config={**small, "vocab_size": len(vocab), "num_attention_heads": 4},
            vision_config={**small, "num_attention_heads": 4, "image_size": 32, "patch_size": 4},
            projection_dim=32,
            extract_layers=[1],
            reduce_dim=16,
            decoder_num_attention_heads=2,
            decoder_intermediate_size=32,
        )
        pixels = 32
    else:
        config = CLIPSegConfig(use_complex_transposed_convolution=True)
        pixels = 352
    with torch.device("cpu"):
        CLIPSegForImageSegmentation(config).save_pretrained(folder, safe_serialization=True)
    ViTImageProcessor(
        size={"height": pixels, "width": pixels},
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    ).save_pretrained(folder)


def run_all(bench: Bench, ctx: Any, args: Any, tmp: Path) -> None:
    steps = 2 if bench.smoke else args.steps
    jobs = {
        "sam_b": lambda: bench_sam(bench, ctx, "sam-vit-b"),
        "sam_h": lambda: bench_sam(bench, ctx, "sam-vit-h"),
        "lama": lambda: bench_lama(bench, ctx),
        "fill": lambda: bench_fill(bench, ctx, steps),
        "upscale": lambda: bench_upscale(bench, ctx),
        "cutout": lambda: bench_cutout(bench, ctx),
        "expand": lambda: bench_expand(bench, ctx),
        "face_detail": lambda: bench_face_detail(bench, ctx),
        "text_select": lambda: bench_text_select(bench, ctx),
    }
    for name, section in jobs.items():
        bench.section(name, section)
        ctx.cache.clear()
