"""Live workspace benchmark: ms per 512x512 frame, img2img and txt2img, eager vs optimised.

Builds a real-size sd-turbo UNet (SD 2.1 shape), its OpenCLIP-H text encoder and TAESD from
configs with random weights (they time exactly like trained ones), fp16 on CUDA, and runs the
production :class:`studio.pipelines.live.engine.LiveEngine` frame, including the upload of a
uint8 frame and the download of the result. Prints one JSON object.

    python scripts/bench_live.py                 # CUDA, real size
    python scripts/bench_live.py --smoke         # tiny models on the CPU, seconds
    python scripts/bench_live.py --modes eager cuda_graph --iters 200
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path

try:
    import studio  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_configs beside this script
from bench_configs import sync as _sync  # noqa: E402

REAL = {
    "unet": dict(
        sample_size=64,
        in_channels=4,
        out_channels=4,
        layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        attention_head_dim=(5, 10, 20, 20),
        cross_attention_dim=1024,
        use_linear_projection=True,
    ),
    "text": dict(
        vocab_size=49408,
        hidden_size=1024,
        intermediate_size=4096,
        num_hidden_layers=23,
        num_attention_heads=16,
        max_position_embeddings=77,
        hidden_act="gelu",
        projection_dim=512,
    ),
    "taesd": dict(
        encoder_block_out_channels=(64, 64, 64, 64),
        decoder_block_out_channels=(64, 64, 64, 64),
        num_encoder_blocks=(1, 3, 3, 3),
        num_decoder_blocks=(3, 3, 3, 1),
        latent_channels=4,
    ),
}
TINY = {
    "unet": dict(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        attention_head_dim=(2, 4),
        cross_attention_dim=32,
        use_linear_projection=True,
    ),
    "text": dict(
        vocab_size=1000,
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        hidden_act="gelu",
        projection_dim=32,
        bos_token_id=998,
        eos_token_id=999,
        pad_token_id=999,
    ),
    "taesd": dict(
        encoder_block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        num_encoder_blocks=(1, 1, 1, 1),
        num_decoder_blocks=(1, 1, 1, 1),
        latent_channels=4,
    ),
}


def build_engine(cfg: dict, device: str, dtype):  # type: ignore[no-untyped-def]
    import torch
    from diffusers import AutoencoderTiny, EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from studio.pipelines.live.engine import LiveEngine

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**cfg["unet"]).to(device, dtype).eval().requires_grad_(False)
    text = CLIPTextModel(CLIPTextConfig(**cfg["text"])).to(device, dtype).eval()
    vae = AutoencoderTiny(**cfg["taesd"]).to(device, dtype).eval().requires_grad_(False)
    sched = EulerDiscreteScheduler(
        beta_schedule="scaled_linear",
        beta_start=0.00085,
        beta_end=0.012,
        timestep_spacing="trailing",
    )
    engine = LiveEngine(unet, text, None, vae, sched.alphas_cumprod, "epsilon", device, dtype)
    return engine, text


def time_frames(engine, mode: str, txt2img: bool, size: int, iters: int, warmup: int) -> dict:  # type: ignore[no-untyped-def]
    import numpy as np

    from studio.pipelines.live.engine import timestep_for
    from studio.pipelines.live.frames import to_device_frame

    device = engine.device
    embeds = engine._bench_embeds
    noise = engine.noise(0, size, size)
    coeffs = engine.coefficients(timestep_for(0.5, txt2img))
    frame = (np.random.default_rng(0).random((size, size, 3)) * 255).astype(np.uint8)
    t0 = time.perf_counter()
    for _ in range(max(1, warmup)):  # the first call captures / compiles
        image = None if txt2img else to_device_frame(frame, (size, size), device)
        engine.render(image, embeds, coeffs, noise, mode=mode).cpu()
    _sync(device)
    first_s = time.perf_counter() - t0
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        image = None if txt2img else to_device_frame(frame, (size, size), device)
        engine.render(image, embeds, coeffs, noise, mode=mode).cpu().numpy()
        times.append((time.perf_counter() - t) * 1000)
    return {
        "ms_per_frame_median": round(statistics.median(times), 3),
        "ms_per_frame_mean": round(statistics.fmean(times), 3),
        "ms_p90": round(sorted(times)[int(0.9 * (len(times) - 1))], 3),
        "fps": round(1000 / statistics.median(times), 1),
        "warmup_s": round(first_s, 2),
        "active_mode": engine.active_mode,
        "tuned": engine.tuned,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny models on the CPU")
    parser.add_argument("--size", type=int, default=None, help="frame side (default 512)")
    parser.add_argument("--iters", type=int, default=None)
    parser.add_argument("--modes", nargs="+", default=["eager", "cuda_graph", "compile"])
    args = parser.parse_args(argv)

    out: dict = {"bench": "live", "smoke": args.smoke, "results": {}, "errors": {}}
    try:
        import torch

        device = "cpu" if args.smoke or not torch.cuda.is_available() else "cuda:0"
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        size = args.size or (64 if args.smoke else 512)
        iters = args.iters or (3 if args.smoke else 100)
        # On the CPU the optimised modes fall back to eager: the smoke run checks that path.
        modes = ["eager", "cuda_graph"] if args.smoke else args.modes
        out.update(
            device=torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu",
            dtype=str(dtype).replace("torch.", ""),
            size=size,
            iters=iters,
            torch=torch.__version__,
            python=platform.python_version(),
        )
        try:
            import diffusers
            import transformers

            out.update(diffusers=diffusers.__version__, transformers=transformers.__version__)
        except ImportError as exc:
            out["errors"]["import"] = repr(exc)
        torch.set_grad_enabled(False)
        cfg = TINY if args.smoke else REAL
        t = time.perf_counter()
        engine, text = build_engine(cfg, device, dtype)
        out["build_s"] = round(time.perf_counter() - t, 2)
        out["unet_params_m"] = round(sum(p.numel() for p in engine.unet.parameters()) / 1e6, 1)
        ids = torch.randint(0, cfg["text"]["vocab_size"], (1, 77), device=device)
        try:  # the cost of a prompt change (embeddings are cached per prompt after that)
            text(ids)
            _sync(device)
            t = time.perf_counter()
            engine._bench_embeds = text(ids)[0].to(dtype)
            _sync(device)
            out["text_encoder_ms"] = round((time.perf_counter() - t) * 1000, 2)
        except Exception as exc:  # noqa: BLE001
            out["errors"]["text_encoder"] = repr(exc)
            engine._bench_embeds = torch.randn(
                1, 77, cfg["text"]["hidden_size"], device=device, dtype=dtype
            )
    except Exception as exc:  # noqa: BLE001
        out["errors"]["setup"] = traceback.format_exc(limit=3) or repr(exc)
        print(json.dumps(out, indent=1))
        return 1

    runs = [(m, m) for m in modes]
    if "eager" in modes and len(modes) > 1:
        # The optimised modes tune the modules (channels-last, fused QKV) for good; eager
        # again afterwards shows what the tuning alone is worth.
        runs.insert(modes.index("eager") + 2, ("eager_tuned", "eager"))
    for label, mode in runs:
        for kind in ("img2img", "txt2img"):
            name = f"{kind}_{label}"
            try:
                out["results"][name] = time_frames(
                    engine, mode, kind == "txt2img", size, iters, warmup=3
                )
            except Exception as exc:  # noqa: BLE001 - report, keep measuring the rest
                out["errors"][name] = f"{type(exc).__name__}: {exc}"[:500]
            finally:
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
    if device.startswith("cuda"):
        out["peak_vram_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 2)
    best = [v["ms_per_frame_median"] for k, v in out["results"].items() if k.startswith("img2img")]
    if best:
        out["img2img_best_ms"] = min(best)
        out["target_10ms_met"] = min(best) <= 10.0
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
