#!/usr/bin/env python
"""Benchmark the canvas pipelines with real-size random weights; prints one JSON object.

    python scripts/bench_canvas.py            # CUDA, fp16 where the pipeline uses it
    python scripts/bench_canvas.py --smoke    # tiny sizes on the CPU, in seconds

Random weights time exactly like trained ones. Every timed job is the production `run()`
of `studio.pipelines.canvas.*` over a temporary model store: SAM, LaMa and the upscaler load
through the real loaders; fill runs `fill.run` (fast mode, LCM, guidance 1) over a warm
real-size SDXL inpaint pipeline placed in the model cache (text encoders included, a small
CLIP tokenizer written offline), once with SDXL's own VAE (fp32 upcast) and once with the
optional fp16-fix VAE installed. Next to each pipeline number: model-only numbers and, on
CUDA, a per-stage profile (each stage synchronised; the profile's total includes that cost).
`--only sam_b,sam_h,lama,fill,upscale,cutout` picks sections; `BENCH_DETAIL_ON_CPU=1` runs the
profiles and candidates on the CPU too (to check those code paths).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

try:
    import studio  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_configs beside this script
from bench_configs import (  # noqa: E402
    SDXL_UNET,
    SDXL_VAE,
    TINY_SDXL_UNET,
    TINY_SDXL_VAE,
    rrdb_state,  # noqa: E402
)
from bench_configs import sync as _sync  # noqa: E402


def timed(fn: Any, device: str, repeat: int, warmup: int = 1) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "median_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
        "runs": repeat,
    }


def measure(results: dict, name: str, fn: Any) -> None:
    """Run one measurement; errors are reported in the JSON instead of stopping the run."""
    try:
        results[name] = fn()
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
        results[name] = {
            "error": f"{type(exc).__name__}: {exc}",
            "trace": traceback.format_exc(limit=3),
        }
    finally:
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001
            pass


def _context(root: Path, device: str) -> Any:
    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.pipelines.context import RunContext
    from studio.services.model_cache import ModelCache

    return RunContext(store=ModelStore(root, load_catalogue()), cache=ModelCache(), device=device)


def _install(ctx: Any, model_id: str, write: Any) -> None:
    staged = ctx.store.staging_dir(model_id)
    write(staged)
    ctx.store.commit(model_id, staged, {})


def bench_sam(ctx: Any, model_id: str, smoke: bool, repeat: int) -> dict:
    import numpy as np
    import torch

    from studio.pipelines.canvas import segment

    torch.manual_seed(0)
    _install(
        ctx,
        model_id,
        lambda f: torch.save(_sam_state_dict(model_id, smoke), f / segment.SAM_MODELS[model_id]),
    )
    side = 256 if smoke else 1024
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    segment.run(
        segment.SegmentRequest(image=image, points=[(5, 5)], labels=[1], model=model_id), ctx
    )  # load + warm up

    counter = iter(range(10**6))

    def embed_once() -> None:  # a fresh key each time: the embedding is computed, not reused
        segment.embed(ctx, predictor, model_id, image, image_key=f"bench-{next(counter)}")

    predictor = segment._predictor(ctx, model_id)
    out: dict[str, Any] = {"image": f"{side}x{side}"}
    with torch.inference_mode():
        out["embed"] = timed(embed_once, ctx.device, repeat)
    segment.embed(ctx, predictor, model_id, image)
    points = [(float(rng.integers(0, side)), float(rng.integers(0, side))) for _ in range(4)]

    def click(key: str | None) -> Any:
        return lambda: segment.run(
            segment.SegmentRequest(
                image=image, points=points, labels=[1, 1, 0, 1], model=model_id, image_key=key
            ),
            ctx,
        )

    segment.run(
        segment.SegmentRequest(
            image=image, points=[(5, 5)], labels=[1], model=model_id, image_key="bench"
        ),
        ctx,
    )
    out["click_pipeline_hashing_image"] = timed(click(None), ctx.device, repeat * 3)
    out["click_pipeline_with_image_key"] = timed(click("bench"), ctx.device, repeat * 3)
    if ctx.is_cuda:
        # Candidate optimisation (not what the pipeline does yet): fp16 encoder weights, so
        # autocast stops casting 0.6 B parameters on every embedding.
        try:
            predictor.model.image_encoder.half()
            with torch.inference_mode():
                out["embed_fp16_weights_candidate"] = timed(embed_once, ctx.device, repeat)
        except Exception as exc:  # noqa: BLE001
            out["embed_fp16_weights_candidate"] = {"error": f"{type(exc).__name__}: {exc}"}
    ctx.cache.clear()
    return out


def _sam_state_dict(model_id: str, smoke: bool) -> dict:
    from functools import partial

    import torch
    from segment_anything import sam_model_registry
    from segment_anything.modeling import (
        ImageEncoderViT,
        MaskDecoder,
        PromptEncoder,
        Sam,
        TwoWayTransformer,
    )

    if not smoke:
        return sam_model_registry["vit_h" if model_id.endswith("h") else "vit_b"]().state_dict()
    dim = 32  # tiny: ViT depth 2, image 256, decoder depth 1
    return Sam(
        image_encoder=ImageEncoderViT(
            depth=2,
            embed_dim=dim,
            img_size=256,
            mlp_ratio=2,
            num_heads=2,
            patch_size=16,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=(1,),
            window_size=4,
            out_chans=dim,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=dim,
            image_embedding_size=(16, 16),
            input_image_size=(256, 256),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer_dim=dim,
            iou_head_depth=3,
            iou_head_hidden_dim=32,
            transformer=TwoWayTransformer(depth=1, embedding_dim=dim, mlp_dim=64, num_heads=8),
        ),
    ).state_dict()


class StageTimer:
    """Per-stage wall time (device synchronised) by wrapping named callables in place."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.ms: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._undo: list[Any] = []

    def wrap(self, owner: Any, name: str, label: str | None = None) -> None:
        label = label or name
        had = name in getattr(owner, "__dict__", {})
        orig = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _sync(self.device)
            t0 = time.perf_counter()
            try:
                return orig(*args, **kwargs)
            finally:
                _sync(self.device)
                self.ms[label] = self.ms.get(label, 0.0) + (time.perf_counter() - t0) * 1000
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(owner, name, wrapper)
        self._undo.append((owner, name, orig, had))

    def restore(self) -> None:
        for owner, name, orig, had in reversed(self._undo):
            if had or isinstance(owner, type) or type(owner).__name__ == "module":
                setattr(owner, name, orig)
            else:
                delattr(owner, name)
        self._undo.clear()

    def report(self, runs: int) -> dict:
        return {
            k: {"ms_per_run": round(v / runs, 2), "calls_per_run": self.calls[k] / runs}
            for k, v in sorted(self.ms.items(), key=lambda kv: -kv[1])
        }


def _profile(fn: Any, device: str, runs: int, targets: list[tuple[Any, str, str]]) -> dict:
    fn()  # warm
    timer = StageTimer(device)
    for owner, name, label in targets:
        timer.wrap(owner, name, label)
    try:
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(runs):
            fn()
        _sync(device)
        total = (time.perf_counter() - t0) * 1000 / runs
    finally:
        timer.restore()
    return {"total_ms_per_run": round(total, 2), "stages": timer.report(runs)}


def _detail(ctx: Any) -> bool:
    """Profiles and candidate variants: on CUDA (or on the CPU to check the code paths)."""
    return ctx.is_cuda or bool(os.environ.get("BENCH_DETAIL_ON_CPU"))


def _real_image(side: int) -> Any:
    """A real photo (scikit-image's astronaut) scaled to side x side; noise if unavailable."""
    import numpy as np

    try:
        import cv2
        from skimage import data

        return cv2.resize(data.astronaut(), (side, side), interpolation=cv2.INTER_CUBIC)
    except Exception:  # noqa: BLE001
        return np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)


def bench_lama(ctx: Any, sides: list[int], repeat: int) -> dict:
    import numpy as np
    import torch

    from studio.pipelines.canvas import compose, remove

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from tests.fixtures.canvas_models import build_big_lama
    except ImportError:  # no tests folder: save the plain state dict (spandrel reads it too)

        def build_big_lama(folder: Path) -> None:
            from spandrel.architectures.LaMa import LaMa

            torch.save(LaMa(in_nc=4, out_nc=3).state_dict(), folder / remove.LAMA_FILE)

    _install(ctx, remove.LAMA_ID, build_big_lama)
    out: dict[str, Any] = {"pipeline_dtype": getattr(remove, "LAMA_DTYPE_NOTE", "float32")}
    for side in sides:
        image = _real_image(side)
        mask = np.zeros((side, side), np.uint8)
        mask[side // 4 : 3 * side // 4, side // 4 : 3 * side // 4] = 255
        # margin 1.0 -> the whole image is the window: the model runs at side x side
        req = remove.RemoveRequest(image=image, mask=mask, margin=1.0, max_side=side)
        out[f"remove_{side}"] = timed(lambda r=req: remove.run(r, ctx), ctx.device, repeat)
        desc = ctx.cache.get(f"{remove.LAMA_ID}:{ctx.device}", lambda: None)
        if _detail(ctx):
            out[f"remove_{side}_profile"] = _profile(
                lambda r=req: remove.run(r, ctx),
                ctx.device,
                3,
                [
                    (remove, "to_array", "to_array"),
                    (remove, "check_mask", "check_mask"),
                    (compose, "blend_alpha", "blend_alpha"),
                    (compose, "context_window", "context_window"),
                    (compose, "resize", "resize"),
                    (compose, "paste_back", "paste_back"),
                    (remove, "to_tensor", "to_tensor"),
                    (remove, "to_uint8", "to_uint8"),
                    (desc.model, "forward", "lama_model"),
                ],
            )
        x = torch.from_numpy(image).permute(2, 0, 1)[None].to(ctx.device).float() / 255
        m = torch.from_numpy(mask)[None, None].to(ctx.device).float() / 255
        with torch.inference_mode():
            out[f"model_only_{side}_fp32"] = timed(
                lambda d=desc, a=x, b=m: d(a, b), ctx.device, repeat
            )
        if _detail(ctx):
            out[f"candidate_{side}_bf16_spatial_fp32_fourier"] = _lama_bf16_candidate(
                desc.model, x, m, ctx.device, repeat
            )
    ctx.cache.clear()
    return out


def _lama_bf16_candidate(model: Any, x: Any, m: Any, device: str, repeat: int) -> dict:
    """bf16 autocast for LaMa's spatial convolutions; its Fourier units stay fp32 (cuFFT has
    no bf16). Reports time and the uint8 difference from fp32 on the same weights/image."""
    import copy

    import torch

    cand = copy.deepcopy(model).float().eval()
    for mod in cand.modules():
        if type(mod).__name__ == "FourierUnit":

            def fourier(t: Any, _orig: Any = mod.forward) -> Any:
                with torch.autocast(device.split(":")[0], enabled=False):
                    return _orig(t.float())

            mod.forward = fourier

    def run(mod: Any, bf16: bool) -> Any:
        with (
            torch.inference_mode(),
            torch.autocast(device.split(":")[0], torch.bfloat16, enabled=bf16),
        ):
            return (mod(x, m).float().clamp(0, 1) * 255).round()

    ref = run(model, False)
    diff = (run(cand, True) - ref).abs()
    hole = m.expand_as(diff) > 0.5
    return {
        **timed(lambda: run(cand, True), device, repeat),
        "max_abs_diff_uint8_vs_fp32": int(diff.max()),
        "mean_abs_diff_in_hole_uint8": round(float(diff[hole].mean()), 4),
        "pixels_over_2_levels_pct": round(float((diff > 2).float().mean()) * 100, 4),
    }


def bench_upscale(ctx: Any, smoke: bool, repeat: int) -> dict:
    import numpy as np
    import torch

    from studio.pipelines.canvas import upscale

    nf, nb, side = (16, 1, 64) if smoke else (64, 23, 1024)
    torch.manual_seed(0)
    sd = rrdb_state(nf, 32, nb)
    _install(
        ctx, upscale.ESRGAN_ID, lambda f: torch.save({"params_ema": sd}, f / upscale.ESRGAN_FILE)
    )
    image = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out: dict[str, Any] = {"input": f"{side}x{side}", "output": f"{side * 4}x{side * 4}"}
    for tile in (512, 0) if not smoke else (32, 0):
        req = upscale.UpscaleRequest(image=image, tile=tile)
        key = f"upscale_tile_{tile}" if tile else "upscale_untiled"
        out[key] = timed(lambda r=req: upscale.run(r, ctx), ctx.device, repeat)
    ctx.cache.clear()
    return out


def _sdxl_vae(smoke: bool) -> Any:
    from diffusers import AutoencoderKL

    return AutoencoderKL(**(TINY_SDXL_VAE if smoke else SDXL_VAE))


def _sdxl_parts(smoke: bool) -> dict:
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel(**dict(TINY_SDXL_UNET if smoke else SDXL_UNET, in_channels=9))
    vae = _sdxl_vae(smoke)
    if smoke:
        return {"unet": unet, "vae": vae, "text_dim": 64, "pooled_dim": 32}
    return {"unet": unet, "vae": vae, "text_dim": 2048, "pooled_dim": 1280}


def _write_clip_tokenizer(folder: Path) -> None:
    """A small CLIP tokenizer folder (letters + specials): prompts tokenize as in the app."""
    folder.mkdir(parents=True, exist_ok=True)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = {t: i for i, t in enumerate(letters + [c + "</w>" for c in letters])}
    for special in ("<|startoftext|>", "<|endoftext|>", "!"):
        vocab[special] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    special = {
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "!",
    }
    (folder / "special_tokens_map.json").write_text(json.dumps(special), encoding="utf-8")
    config = {"model_max_length": 77, "tokenizer_class": "CLIPTokenizer", **special}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")


def _sdxl_inpaint_pipe(device: str, dtype: Any, smoke: bool, tmp: Path) -> Any:
    """The SDXL inpaint pipeline object the app's loader builds, from real-size configs."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLInpaintPipeline
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPTokenizer,
    )

    with torch.device(device):  # random init on the GPU: seconds instead of minutes
        parts = _sdxl_parts(smoke)
        dim1, dim2 = (32, 32) if smoke else (768, 1280)
        common = {"vocab_size": 49408, "max_position_embeddings": 77}
        enc1 = CLIPTextModel(
            CLIPTextConfig(
                hidden_size=dim1,
                intermediate_size=dim1 * 4,
                num_hidden_layers=2 if smoke else 12,
                num_attention_heads=4 if smoke else 12,
                hidden_act="quick_gelu",
                **common,
            )
        )
        enc2 = CLIPTextModelWithProjection(
            CLIPTextConfig(
                hidden_size=dim2,
                intermediate_size=dim2 * 4,
                num_hidden_layers=2 if smoke else 32,
                num_attention_heads=4 if smoke else 20,
                projection_dim=parts["pooled_dim"],
                hidden_act="gelu",
                **common,
            )
        )
    for name in ("tokenizer", "tokenizer_2"):
        _write_clip_tokenizer(tmp / name)
    pipe = StableDiffusionXLInpaintPipeline(
        vae=parts["vae"],
        text_encoder=enc1,
        text_encoder_2=enc2,
        tokenizer=CLIPTokenizer.from_pretrained(tmp / "tokenizer"),
        tokenizer_2=CLIPTokenizer.from_pretrained(tmp / "tokenizer_2"),
        unet=parts["unet"],
        scheduler=EulerDiscreteScheduler(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
        ),
        requires_aesthetics_score=False,
    ).to(device, dtype)
    pipe.set_progress_bar_config(disable=True)
    # What fill._pipeline's loader adds; LCM-LoRA "loaded and fused" (fused = base model cost).
    pipe._studio_base_scheduler = pipe.scheduler
    pipe._studio_lcm = True
    pipe._studio_fused = True
    return pipe


def bench_fill(ctx: Any, smoke: bool, repeat: int, steps: int) -> dict:
    """The production ``fill.run`` (fast mode, LCM, no CFG) over a warm real-size pipeline."""
    import numpy as np
    import torch
    from diffusers import LCMScheduler, StableDiffusionXLInpaintPipeline

    from studio.pipelines.canvas import compose, fill

    device, dtype = ctx.device, ctx.dtype
    torch.manual_seed(0)
    tmp = Path(tempfile.mkdtemp(prefix="bench_fill_"))
    pipe = _sdxl_inpaint_pipe(device, dtype, smoke, tmp)
    for model_id in (fill.SDXL_INPAINT_ID, fill.LCM_LORA_ID):  # the store says "installed"
        _install(ctx, model_id, lambda f: (f / "model_index.json").write_text("{}"))
    ctx.cache.get(f"{fill.SDXL_INPAINT_ID}:{device}", lambda: pipe, 1)
    side = 64 if smoke else 1024
    image = _real_image(side)
    mask = np.zeros((side, side), np.uint8)
    mask[side // 4 : 3 * side // 4, side // 4 : 3 * side // 4] = 255
    req = fill.FillRequest(
        image=image,
        mask=mask,
        prompt="a red balloon",
        steps=steps,
        guidance=1.0,
        fast=True,
        seed=1,
        work_side=side,
    )
    out: dict[str, Any] = {
        "size": f"{side}x{side}",
        "steps": steps,
        "scheduler": "LCM",
        "guidance": "1.0 (no CFG)",
        "strength": req.strength,
        "vae_force_upcast": bool(pipe.vae.config.force_upcast),
    }
    run_once = lambda: fill.run(req, ctx)  # noqa: E731
    out["fill_run"] = timed(run_once, device, repeat)
    if not _detail(ctx):
        return out
    targets = lambda p: [  # noqa: E731
        (StableDiffusionXLInpaintPipeline, "__call__", "diffusers_call"),
        (fill, "_pipeline", "get_pipeline"),
        (compose, "blend_alpha", "blend_alpha"),
        (compose, "resize", "resize"),
        (compose, "paste_back", "paste_back"),
        (p, "encode_prompt", "encode_prompt"),
        (p.image_processor, "preprocess", "image_preprocess"),
        (p.mask_processor, "preprocess", "mask_preprocess"),
        (p.vae, "encode", "vae_encode"),
        (p.vae, "decode", "vae_decode"),
        (p.vae, "to", "vae_dtype_casts"),
        (p.unet, "forward", "unet"),
        (LCMScheduler, "step", "scheduler_step"),
        (p.image_processor, "postprocess", "postprocess"),
    ]
    out["fill_run_profile"] = _profile(run_once, device, 3, targets(pipe))
    lat = torch.randn(1, 4, side // 8, side // 8, device=device, dtype=dtype)
    img = torch.rand(1, 3, side, side, device=device, dtype=dtype) * 2 - 1
    with torch.inference_mode():
        t = torch.tensor([500.0], device=device)
        emb = torch.randn(1, 77, pipe.unet.config.cross_attention_dim, device=device, dtype=dtype)
        pooled = pipe.text_encoder_2.config.projection_dim
        cond = {
            "text_embeds": torch.randn(1, pooled, device=device, dtype=dtype),
            "time_ids": torch.tensor([[side, side, 0, 0, side, side]], device=device, dtype=dtype),
        }
        x9 = torch.randn(1, 9, side // 8, side // 8, device=device, dtype=dtype)
        out["model_only_unet_step"] = timed(
            lambda: pipe.unet(x9, t, emb, added_cond_kwargs=cond), device, repeat
        )
        vae = pipe.vae
        for name, dt in (("fp32", torch.float32), ("fp16", torch.float16)):
            vae.to(dt)
            out[f"model_only_vae_encode_{name}"] = timed(
                lambda d=dt: vae.encode(img.to(d)).latent_dist.sample(), device, repeat
            )
            out[f"model_only_vae_decode_{name}"] = timed(
                lambda d=dt: vae.decode(lat.to(d)).sample, device, repeat
            )
        vae.to(dtype)
    # The optional fp16-safe VAE (same architecture, force_upcast off), installed in the store
    # and loaded by the pipeline's own loader function: what a user who installed it runs.
    try:
        with torch.device(device):
            fix_model = _sdxl_vae(smoke)
        fix_model.register_to_config(force_upcast=False)
        _install(ctx, fill.VAE_FIX_ID, fix_model.save_pretrained)
        del fix_model
        pipe.register_modules(
            vae=fill._load_vae_fix(ctx.store.require(fill.VAE_FIX_ID), device, dtype)
        )
        ctx.cache.get(f"{fill.SDXL_INPAINT_ID}:{device}:vae-fp16-fix", lambda: pipe, 1)
        out["fp16_fix_vae_fill_run"] = timed(run_once, device, repeat)
        out["fp16_fix_vae_profile"] = _profile(run_once, device, 3, targets(pipe))
    except Exception as exc:  # noqa: BLE001
        out["fp16_fix_vae"] = {"error": f"{type(exc).__name__}: {exc}"}
    ctx.cache.clear()
    return out


def _u2net(smoke: bool) -> Any:
    """U2-Net (the full 44 M model behind rembg's u2net.onnx), from its published design."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class ConvBnRelu(nn.Sequential):
        def __init__(self, cin: int, cout: int, dil: int = 1) -> None:
            super().__init__(
                nn.Conv2d(cin, cout, 3, padding=dil, dilation=dil),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            )

    class RSU(nn.Module):  # residual U-block; "F" variants dilate instead of resampling
        def __init__(self, height: int, cin: int, mid: int, cout: int, dilated: bool) -> None:
            super().__init__()
            self.dilated = dilated
            self.conv_in = ConvBnRelu(cin, cout)
            d = [2**i if dilated else 1 for i in range(height)]
            self.enc = nn.ModuleList(
                [ConvBnRelu(cout, mid)] + [ConvBnRelu(mid, mid, d[i]) for i in range(1, height - 1)]
            )
            self.bottom = ConvBnRelu(mid, mid, d[height - 1] if dilated else 2)
            self.dec = nn.ModuleList(
                [ConvBnRelu(2 * mid, mid, d[i]) for i in range(height - 2, 0, -1)]
                + [ConvBnRelu(2 * mid, cout)]
            )

        def forward(self, x: Any) -> Any:
            h = hin = self.conv_in(x)
            skips = []
            for i, layer in enumerate(self.enc):
                h = layer(h)
                skips.append(h)
                if not self.dilated and i < len(self.enc) - 1:
                    h = F.max_pool2d(h, 2, ceil_mode=True)
            h = self.bottom(h)
            for j, layer in enumerate(self.dec):
                h = layer(torch.cat([h, skips[-(j + 1)]], 1))
                if not self.dilated and j < len(self.dec) - 1:
                    h = F.interpolate(h, size=skips[-(j + 2)].shape[2:], mode="bilinear")
            return h + hin

    class U2Net(nn.Module):
        def __init__(self, w: int) -> None:  # w=1: full size; smoke uses a narrow copy
            super().__init__()
            enc = [
                (7, 3, 32, 64),
                (6, 64, 32, 128),
                (5, 128, 64, 256),
                (4, 256, 128, 512),
                (4, 512, 256, 512),
                (4, 512, 256, 512),
            ]
            dec = [
                (4, 1024, 256, 512),
                (4, 1024, 128, 256),
                (5, 512, 64, 128),
                (6, 256, 32, 64),
                (7, 128, 16, 64),
            ]

            def rsu(h: int, cin: int, mid: int, cout: int) -> Any:
                return RSU(
                    h,
                    cin if cin == 3 else cin // w,
                    max(mid // w, 4),
                    cout // w,
                    dilated=(h == 4 and cin >= 512),
                )

            self.enc = nn.ModuleList([rsu(*c) for c in enc])
            self.dec = nn.ModuleList([rsu(*c) for c in dec])
            self.side = nn.ModuleList(
                [nn.Conv2d(c[3] // w, 1, 3, padding=1) for c in [enc[-1]] + dec]
            )
            self.out = nn.Conv2d(6, 1, 1)

        def forward(self, x: Any) -> Any:
            feats, h = [], x
            for i, block in enumerate(self.enc):
                h = block(h)
                feats.append(h)
                if i < len(self.enc) - 1:
                    h = F.max_pool2d(h, 2, ceil_mode=True)
            sides = [self.side[0](h)]
            for j, block in enumerate(self.dec):
                h = F.interpolate(h, size=feats[-(j + 2)].shape[2:], mode="bilinear")
                h = block(torch.cat([h, feats[-(j + 2)]], 1))
                sides.append(self.side[j + 1](h))
            size = x.shape[2:]
            sides = [F.interpolate(s, size=size, mode="bilinear") for s in sides]
            return torch.sigmoid(self.out(torch.cat(sides[::-1], 1)))

    return U2Net(8 if smoke else 1)


def bench_cutout(device: str, smoke: bool, repeat: int) -> dict:
    import torch

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    model = _u2net(smoke).to(device, dtype).eval()
    params = sum(p.numel() for p in model.parameters())
    x = torch.rand(1, 3, 320, 320, device=device, dtype=dtype)
    with torch.inference_mode():
        res = timed(lambda: model(x), device, repeat)
    return {
        "model": "U2-Net (torch, same graph as u2net.onnx)",
        "params_M": round(params / 1e6, 1),
        "input": "320x320",
        "dtype": str(dtype).replace("torch.", ""),
        "forward": res,
        "note": "the app runs the ONNX file through onnxruntime (CUDA provider when present)",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes on the CPU")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--steps", type=int, default=8, help="fill denoising steps")
    parser.add_argument(
        "--only", default="", help="comma list: sam_b,sam_h,lama,fill,upscale,cutout"
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    device = "cpu" if args.smoke or not torch.cuda.is_available() else "cuda:0"
    if args.smoke:
        torch.set_num_threads(1)  # a smoke check on a shared CI box: no thread oversubscription
    repeat = args.repeat or (1 if args.smoke else 10)
    steps = 2 if args.smoke else args.steps
    only = set(filter(None, args.only.split(",")))
    results: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if device != "cpu" else "cpu",
        "torch": torch.__version__,
        "smoke": args.smoke,
    }
    with tempfile.TemporaryDirectory(prefix="bench_canvas_") as tmp:
        ctx = _context(Path(tmp), device)
        jobs = {
            "sam_b": lambda: bench_sam(ctx, "sam-vit-b", args.smoke, repeat),
            "sam_h": lambda: bench_sam(ctx, "sam-vit-h", args.smoke, repeat),
            "lama": lambda: bench_lama(ctx, [64] if args.smoke else [1024, 2048], repeat),
            "fill": lambda: bench_fill(ctx, args.smoke, repeat, steps),
            "upscale": lambda: bench_upscale(ctx, args.smoke, repeat),
            "cutout": lambda: bench_cutout(device, args.smoke, repeat),
        }
        for name, job in jobs.items():
            if not only or name in only:
                measure(results, name, job)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
