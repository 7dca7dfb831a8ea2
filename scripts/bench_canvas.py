#!/usr/bin/env python
"""Benchmark the canvas pipelines with real-size random weights; prints one JSON object.

    python scripts/bench_canvas.py            # CUDA, fp16 where the pipeline uses it
    python scripts/bench_canvas.py --smoke    # tiny sizes on the CPU, in seconds

Random weights time exactly like trained ones. SAM, LaMa and the upscaler run through the
production pipelines (`studio.pipelines.canvas.*`) over a temporary model store; SDXL fill
runs the diffusers inpaint pipeline directly (no tokenizer files offline: prompt embeddings
are given, and the two text encoders are timed on their own).
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


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


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


def bench_lama(ctx: Any, sides: list[int], repeat: int) -> dict:
    import numpy as np
    import torch

    from studio.pipelines.canvas import remove

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from tests.fixtures.canvas_models import build_big_lama
    except ImportError:  # no tests folder: save the plain state dict (spandrel reads it too)

        def build_big_lama(folder: Path) -> None:
            from spandrel.architectures.LaMa import LaMa

            torch.save(LaMa(in_nc=4, out_nc=3).state_dict(), folder / remove.LAMA_FILE)

    _install(ctx, remove.LAMA_ID, build_big_lama)
    out: dict[str, Any] = {"dtype": "float32 (LaMa's FFT layers need it)"}
    rng = np.random.default_rng(0)
    for side in sides:
        image = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        mask = np.zeros((side, side), np.uint8)
        mask[side // 4 : 3 * side // 4, side // 4 : 3 * side // 4] = 255
        # margin 1.0 -> the whole image is the window: the model runs at side x side
        req = remove.RemoveRequest(image=image, mask=mask, margin=1.0, max_side=side)
        out[f"remove_{side}"] = timed(lambda r=req: remove.run(r, ctx), ctx.device, repeat)
        desc = ctx.cache.get(f"{remove.LAMA_ID}:{ctx.device}", lambda: None)
        x = torch.rand(1, 3, side, side, device=ctx.device)
        m = (torch.rand(1, 1, side, side, device=ctx.device) > 0.5).float()
        with torch.inference_mode():
            out[f"model_only_{side}"] = timed(lambda d=desc, a=x, b=m: d(a, b), ctx.device, repeat)
    ctx.cache.clear()
    return out


def bench_upscale(ctx: Any, smoke: bool, repeat: int) -> dict:
    import numpy as np
    import torch

    from studio.pipelines.canvas import upscale

    nf, nb, side = (16, 1, 64) if smoke else (64, 23, 1024)
    torch.manual_seed(0)
    sd: dict[str, Any] = {}

    def conv(name: str, cout: int, cin: int) -> None:
        sd[f"{name}.weight"] = torch.randn(cout, cin, 3, 3) * 0.02
        sd[f"{name}.bias"] = torch.zeros(cout)

    gc = 32
    conv("conv_first", nf, 3)
    for b in range(nb):
        for r in (1, 2, 3):
            for i in range(1, 5):
                conv(f"body.{b}.rdb{r}.conv{i}", gc, nf + (i - 1) * gc)
            conv(f"body.{b}.rdb{r}.conv5", nf, nf + 4 * gc)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        conv(name, nf, nf)
    conv("conv_last", 3, nf)
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


def _sdxl_parts(smoke: bool) -> dict:
    from diffusers import AutoencoderKL, UNet2DConditionModel

    if smoke:
        unet = UNet2DConditionModel(
            sample_size=16,
            in_channels=9,
            out_channels=4,
            layers_per_block=1,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            block_out_channels=(32, 64),
            attention_head_dim=(2, 4),
            transformer_layers_per_block=(1, 2),
            use_linear_projection=True,
            addition_embed_type="text_time",
            addition_time_embed_dim=8,
            projection_class_embeddings_input_dim=6 * 8 + 32,
            cross_attention_dim=64,
        )
        vae = AutoencoderKL(
            block_out_channels=(8, 16),
            layers_per_block=1,
            latent_channels=4,
            down_block_types=("DownEncoderBlock2D",) * 2,
            up_block_types=("UpDecoderBlock2D",) * 2,
            norm_num_groups=8,
        )
        return {"unet": unet, "vae": vae, "text_dim": 64, "pooled_dim": 32}
    unet = UNet2DConditionModel(
        sample_size=128,
        in_channels=9,
        out_channels=4,
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(320, 640, 1280),
        attention_head_dim=(5, 10, 20),
        transformer_layers_per_block=(1, 2, 10),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816,
        cross_attention_dim=2048,
    )
    vae = AutoencoderKL(
        block_out_channels=(128, 256, 512, 512),
        layers_per_block=2,
        latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        sample_size=1024,
        scaling_factor=0.13025,
    )
    return {"unet": unet, "vae": vae, "text_dim": 2048, "pooled_dim": 1280}


def bench_fill(device: str, smoke: bool, repeat: int, steps: int) -> dict:
    import numpy as np
    import torch
    from diffusers import LCMScheduler, StableDiffusionXLInpaintPipeline
    from PIL import Image

    from studio.pipelines.canvas import compose

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    torch.manual_seed(0)
    parts = _sdxl_parts(smoke)
    pipe = StableDiffusionXLInpaintPipeline(
        vae=parts["vae"],
        text_encoder=None,
        text_encoder_2=None,
        tokenizer=None,
        tokenizer_2=None,
        unet=parts["unet"],
        scheduler=LCMScheduler(),
        requires_aesthetics_score=False,
    ).to(device, dtype)
    pipe.set_progress_bar_config(disable=True)
    side = 64 if smoke else 1024
    image = Image.fromarray(
        np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    )
    mask = np.zeros((side, side), np.uint8)
    mask[side // 4 : 3 * side // 4, side // 4 : 3 * side // 4] = 255
    embeds = torch.randn(1, 77, parts["text_dim"], device=device, dtype=dtype)
    pooled = torch.randn(1, parts["pooled_dim"], device=device, dtype=dtype)

    def fill() -> Any:
        return pipe(
            prompt_embeds=embeds,
            pooled_prompt_embeds=pooled,
            image=image,
            mask_image=Image.fromarray(mask),
            width=side,
            height=side,
            num_inference_steps=steps,
            strength=1.0,
            guidance_scale=1.0,
            output_type="np",
        ).images

    out: dict[str, Any] = {
        "size": f"{side}x{side}",
        "steps": steps,
        "scheduler": "LCM",
        "guidance": "1.0 (no CFG, as LCM-LoRA fast mode)",
        "note": "LoRA weights fused or absent: same cost",
    }
    with torch.inference_mode():
        out["fill_diffusers_call"] = timed(fill, device, repeat)
    frame = (fill()[0] * 255).astype(np.uint8)
    alpha = compose.blend_alpha(mask, 8)
    win = compose.Window(0, 0, side, side)
    out["paste_back"] = timed(
        lambda: compose.paste_back(np.asarray(image), frame, win, alpha), "cpu", repeat
    )
    if not smoke:
        out["text_encoders"] = _bench_text_encoders(device, dtype, repeat)
    return out


def _bench_text_encoders(device: str, dtype: Any, repeat: int) -> dict:
    import torch
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
    )

    enc1 = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=768,
            intermediate_size=3072,
            num_hidden_layers=12,
            num_attention_heads=12,
            hidden_act="quick_gelu",
        )
    ).to(device, dtype)
    enc2 = CLIPTextModelWithProjection(
        CLIPTextConfig(
            hidden_size=1280,
            intermediate_size=5120,
            num_hidden_layers=32,
            num_attention_heads=20,
            projection_dim=1280,
            hidden_act="gelu",
        )
    ).to(device, dtype)
    ids = torch.randint(0, 49408, (1, 77), device=device)
    with torch.inference_mode():
        return timed(
            lambda: (enc1(ids, output_hidden_states=True), enc2(ids, output_hidden_states=True)),
            device,
            repeat,
        )


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
            "fill": lambda: bench_fill(device, args.smoke, repeat, steps),
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
