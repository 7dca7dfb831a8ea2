#!/usr/bin/env python
"""Benchmark the headshot pack with real-size random weights; prints one JSON object.

    python scripts/bench_headshots.py            # CUDA, fp16, 1024^2 (the H100 target)
    python scripts/bench_headshots.py --smoke    # tiny models on the CPU, in seconds

Built from configs (no download; random weights time like trained ones): the SDXL UNet with
InstantID's identity attention processors (installed by the production loader from an
``ip-adapter.bin``-layout state dict), the IdentityNet ControlNet (``ControlNetModel.from_unet``,
the published InstantID shape), the Resampler, the SDXL VAE, TAESDXL and Real-ESRGAN x4plus
(RRDBNet 23 blocks, through the canvas upscale pipeline). Text encoders are not timed: one
prompt encoding per pack is negligible; random prompt embeddings stand in.

Measured, through the production code in ``studio.pipelines.headshots``:
- ``draft_s_per_image``: batched drafts (batch ``--batch``), tiny-VAE decode, dlib scoring
  (on a real photo, since random weights draw no faces), one after another;
- ``refine_s_per_image`` (batched latent img2img + full VAE decode), ``upscale_s_per_image``
  (Real-ESRGAN + unsharp mask), ``score_s_per_image`` (dlib; missing where dlib is not
  installed, e.g. on the GPU machine: its CPU cost is hidden on the tail threads);
- ``pack_s`` (``pack_drafts_s`` + ``pack_refine_s``): the default pack, 40 drafts + top 10
  refined and upscaled, through ``pack.run_drafts`` + ``pack.run_refine`` (files written,
  CPU tails overlapped with the GPU) exactly as the app runs it;
- ``baseline``: one diffusers ``StableDiffusionXLControlNetPipeline`` call per image with the
  full VAE decode of every draft (+ refine/upscale one after another), ``speedup`` =
  baseline/pack. ``--profile`` prints a per-stage breakdown (NCHW vs NHWC, batch 4 vs 8).
Every measurement is in its own try/except; errors are reported in the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
try:
    import studio  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_configs beside this script
from bench_configs import SDXL_UNET, SDXL_VAE, rrdb_state  # noqa: E402
from bench_configs import TINY_SDXL_UNET as TINY_UNET  # noqa: E402
from bench_configs import TINY_SDXL_VAE as TINY_VAE  # noqa: E402
from bench_configs import sync as _sync  # noqa: E402


def _clock(fn: Any, device: str) -> float:
    _sync(device)
    t0 = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - t0


def ip_state(unet: Any, out_dim: int) -> dict[str, Any]:
    """Random ``ip_adapter.*`` weights keyed like the published file."""
    import torch

    modules = dict(unet.named_modules())
    state = {}
    for i, name in enumerate(unet.attn_processors):
        if name.endswith("attn2.processor"):
            hidden = modules[name[: -len(".processor")]].to_q.out_features
            state[f"{i}.to_k_ip.weight"] = torch.randn(hidden, out_dim) * 0.02
            state[f"{i}.to_v_ip.weight"] = torch.randn(hidden, out_dim) * 0.02
    return state


def build(
    smoke: bool, device: str, dtype: Any, tmp: Path, channels_last: bool = False
) -> tuple[Any, Any]:
    import torch
    from diffusers import (
        AutoencoderKL,
        AutoencoderTiny,
        ControlNetModel,
        EulerDiscreteScheduler,
        UNet2DConditionModel,
    )

    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.models.verify import hash_tree
    from studio.pipelines.context import RunContext
    from studio.pipelines.headshots import generate, instantid
    from studio.services.model_cache import ModelCache

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**(TINY_UNET if smoke else SDXL_UNET))
    cross = unet.config.cross_attention_dim
    controlnet = ControlNetModel.from_unet(
        unet, **({"conditioning_embedding_out_channels": (8, 8, 16, 16)} if smoke else {})
    )
    instantid.install_identity_processors(unet, ip_state(unet, cross), scale=0.8)
    resampler = instantid.build_classes()["Resampler"](
        **(dict(dim=64, depth=1, heads=1, output_dim=cross) if smoke else {})
    )
    vae = AutoencoderKL(**(TINY_VAE if smoke else SDXL_VAE))
    tiny = AutoencoderTiny(
        **(
            dict(encoder_block_out_channels=(8,) * 4, decoder_block_out_channels=(8,) * 4)
            if smoke
            else {}
        )
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        timestep_spacing="trailing",
    )
    for m in (unet, controlnet, resampler, vae, tiny):
        m.to(device=device, dtype=dtype).eval()
    pipe = SimpleNamespace(unet=unet, vae=vae, scheduler=scheduler)
    models = generate.HeadshotModels(pipe, controlnet, resampler, tiny, device, dtype)
    if channels_last:
        generate.channels_last(models)
    # Real-ESRGAN x4plus state dict (basicsr key layout) installed into a temporary store.
    store = ModelStore(tmp / "models", load_catalogue())
    staged = store.staging_dir("realesrgan-x4plus")
    nf, blocks = (8, 1) if smoke else (64, 23)
    torch.save({"params_ema": rrdb_state(nf, 32, blocks)}, staged / "RealESRGAN_x4plus.pth")
    store.commit("realesrgan-x4plus", staged, hash_tree(staged))
    ctx = RunContext(store=store, cache=ModelCache(), device=device)
    return models, ctx


class NoFaceScorer:
    """Stands in for dlib where it is not installed (the GPU machine): finds no face, so the
    pack's scoring costs only the Tenengrad sharpness; ``score_s_per_image`` is then missing
    and dlib's cost is measured on a CPU machine instead (it runs on the CPU tail threads)."""

    def largest(self, rgb: Any) -> None:
        return None


class Bench:
    def __init__(self, args: argparse.Namespace, models: Any, ctx: Any) -> None:
        import numpy as np
        import torch

        from studio.pipelines.headshots import generate, instantid, quality

        self.args, self.models, self.ctx = args, models, ctx
        self.device, self.dtype, size = models.device, models.dtype, args.size
        self.guided = args.guidance > 1.0
        cross = models.pipe.unet.config.cross_attention_dim
        pooled = 32 if args.smoke else 1280
        n = 2 if self.guided else 1
        self.text = generate.TextConditioning(
            torch.randn(n, 77, cross, device=self.device, dtype=self.dtype),
            torch.randn(n, pooled, device=self.device, dtype=self.dtype),
        )
        self.tokens = instantid.face_tokens(models.resampler, np.random.rand(512), 1, self.guided)
        kps = np.array([[0.4, 0.4], [0.6, 0.4], [0.5, 0.5], [0.42, 0.6], [0.58, 0.6]]) * size
        self.kps_image = instantid.draw_keypoints((size, size), kps)
        try:  # dlib-bin + face-recognition-models; the pack needs them, the GPU parts do not
            self.scorer: Any = quality.FaceScorer()
        except Exception as exc:  # noqa: BLE001
            self.scorer = None
            self.scorer_error = f"{type(exc).__name__}: {exc}"
        try:
            import cv2
            from skimage import data

            self.photo = cv2.resize(data.astronaut(), (size, size))
        except ImportError:  # a real face is only needed for realistic scoring cost
            self.photo = np.random.default_rng(0).integers(0, 255, (size, size, 3), np.uint8)

    def kps(self, n: int) -> Any:
        from studio.pipelines.headshots import generate

        return generate.kps_tensor([self.kps_image] * n, self.device, self.dtype)

    def sample(self, seeds: list[int], steps: int, **kw: Any) -> Any:
        from studio.pipelines.headshots import generate

        a = self.args
        return generate.sample(
            self.models,
            self.ctx,
            text=self.text,
            tokens=self.tokens,
            kps=self.kps(len(seeds)),
            seeds=seeds,
            size=(a.size, a.size),
            steps=steps,
            guidance=a.guidance,
            control_scale=0.8,
            id_scale=0.8,
            **kw,
        )

    def score(self) -> None:
        import numpy as np

        from studio.pipelines.headshots.pack import score_image

        if self.scorer is not None:
            score_image(self.scorer, self.photo, np.zeros(128, np.float32))

    def drafts(self, count: int) -> list[Any]:
        from studio.pipelines.headshots import generate

        out = []
        for start in range(0, count, self.args.batch):
            seeds = list(range(start, min(count, start + self.args.batch)))
            lat = self.sample(seeds, self.args.steps)
            generate.decode_tiny(self.models, lat)
            for _ in seeds:
                self.score()
            out.append(lat)
        return out

    def refine(self, latents: Any, upscale: bool) -> None:
        from studio.pipelines.headshots import generate
        from studio.pipelines.headshots.pack import upscale as do_upscale

        for start in range(0, latents.shape[0], self.args.batch):
            part = latents[start : start + self.args.batch]
            lat = self.sample(
                list(range(part.shape[0])), self.args.steps, start=part, strength=0.35
            )
            for one in lat:
                rgb = generate.decode_full(self.models, one[None])[0]
                if upscale:
                    do_upscale(rgb, self.ctx)

    def production_pack(self, folder: Path, count: int, top_k: int) -> dict[str, float]:
        """The default pack through ``pack.run_drafts`` + ``pack.run_refine`` (the code the
        app runs: CPU tails overlapped with the GPU, files written, manifest saved)."""
        import numpy as np

        from studio.pipelines.headshots import pack as hp
        from studio.pipelines.headshots import packs, styles

        a, size = SimpleNamespace(**vars(self.args)), self.args.size
        a.count, a.top_k = count, top_k
        style = styles.get_style("corporate")
        settings = dict(
            styles.DEFAULTS,
            steps=a.steps,
            guidance=a.guidance,
            size=size,
            seed=0,
            count=a.count,
            refine_top_k=a.top_k,
            upscale=True,
        )
        request = hp.PackRequest(
            selfies=[],
            count=a.count,
            size=size,
            refine_top_k=a.top_k,
            batch_size=a.batch,
            folder=folder,
        )
        box = np.array([0.3, 0.25, 0.7, 0.75]) * size
        kps = np.array([[0.4, 0.4], [0.6, 0.4], [0.5, 0.5], [0.42, 0.6], [0.58, 0.6]]) * size
        identity = hp.Identity(
            np.random.default_rng(0).random(512).astype(np.float32),
            np.zeros(128, np.float32),
            kps,
            box,
        )
        pack = packs.Pack(
            folder=folder,
            style=style.id,
            prompt=style.render(""),
            negative_prompt=style.negative_prompt,
            settings=settings,
            models={},
            selfies=[],
        )
        pack.save()
        session = hp.Session(
            request,
            self.ctx,
            pack,
            identity,
            style,
            models=self.models,
            text=self.text,
            face_scorer=self.scorer or NoFaceScorer(),
        )
        times = {}
        _sync(self.device)
        t0 = time.perf_counter()
        hp.run_drafts(session)
        _sync(self.device)
        times["pack_drafts_s"] = time.perf_counter() - t0
        hp.run_refine(session)
        _sync(self.device)
        times["pack_s"] = time.perf_counter() - t0
        times["pack_refine_s"] = times["pack_s"] - times["pack_drafts_s"]
        assert len(pack.images) == a.count and sum(bool(im.final) for im in pack.images) == min(
            a.top_k, a.count
        )
        return times

    def upscale(self) -> None:
        from studio.pipelines.headshots.pack import upscale as do_upscale

        do_upscale(self.photo, self.ctx)

    def baseline_draft(self, seed: int) -> None:
        """One diffusers ControlNet pipeline call for one image, full VAE decode."""
        import torch

        pipe = self.baseline_pipe()
        cond = torch.cat([self.text.embeds[-1:], self.tokens[-1:]], dim=1)
        neg = torch.cat([self.text.embeds[:1], self.tokens[:1]], dim=1)
        pipe(
            prompt_embeds=cond,
            negative_prompt_embeds=neg if self.guided else None,
            pooled_prompt_embeds=self.text.pooled[-1:],
            negative_pooled_prompt_embeds=self.text.pooled[:1] if self.guided else None,
            image=self.kps_image,
            num_inference_steps=self.args.steps,
            guidance_scale=self.args.guidance,
            height=self.args.size,
            width=self.args.size,
            generator=torch.Generator("cpu").manual_seed(seed),
            output_type="np",
        )
        self.score()

    def baseline_pipe(self) -> Any:
        if not hasattr(self, "_pipe"):
            from diffusers import StableDiffusionXLControlNetPipeline

            m = self.models
            self._pipe = StableDiffusionXLControlNetPipeline(
                vae=m.pipe.vae,
                text_encoder=None,
                text_encoder_2=None,
                tokenizer=None,
                tokenizer_2=None,
                unet=m.pipe.unet,
                controlnet=m.controlnet,
                scheduler=m.pipe.scheduler,
            )
            self._pipe.set_progress_bar_config(disable=True)
        return self._pipe


def measure(out: dict[str, Any], key: str, fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:  # report and go on: one failure must not hide the rest
        out.setdefault("errors", {})[key] = f"{type(exc).__name__}: {exc}"
        out.setdefault("tracebacks", {})[key] = traceback.format_exc()[-2000:]
        return None


def profile(bench: Bench, dev: str) -> dict[str, Any]:
    """Per-stage breakdown and layout/batch A/B (``--profile``); each entry is also written to
    stderr as soon as it is measured."""
    import numpy as np
    import torch

    from studio.pipelines.headshots import generate
    from studio.pipelines.headshots import pack as hp

    res: dict[str, Any] = {}
    m, a = bench.models, bench.args

    def med(fn: Any, n: int = 3) -> float:
        fn()
        return float(np.median([_clock(fn, dev) for _ in range(n)]))

    def put(key: str, fn: Any) -> None:
        res[key] = measure(res, key, fn)
        print(f"PROFILE {key} = {res[key]}", file=sys.stderr, flush=True)

    def layout(fmt: Any) -> None:
        for mod in (m.pipe.unet, m.controlnet, m.pipe.vae, m.tiny_vae):
            mod.to(memory_format=fmt)

    for name, fmt in (("nchw", torch.contiguous_format), ("nhwc", torch.channels_last)):
        layout(fmt)
        for b in (4, 8):
            put(
                f"sample_b{b}_cfg_{name}_s_per_image",
                lambda b=b: med(lambda: bench.sample(list(range(b)), a.steps), 2) / b,
            )
        lat = bench.sample(list(range(4)), a.steps)
        put(f"decode_tiny_b4_{name}_s", lambda lat=lat: med(lambda: generate.decode_tiny(m, lat)))
        put(
            f"decode_full_upcast_{name}_s",
            lambda lat=lat: med(lambda: generate.decode_full(m, lat[:1])),
        )

        def full_fp16(lat: Any = lat) -> None:  # what an fp16-safe VAE (fp16-fix) would cost
            with torch.no_grad():
                m.pipe.vae.decode(lat[:1] / m.pipe.vae.config.scaling_factor).sample.cpu()

        put(f"decode_full_fp16_{name}_s", lambda: med(full_fp16))
    from studio.pipelines.canvas.spandrel_models import load_spandrel, to_tensor, to_uint8
    from studio.pipelines.canvas.upscale import ESRGAN_FILE, ESRGAN_ID

    desc = load_spandrel(bench.ctx, ESRGAN_ID, ESRGAN_FILE, "ESRGAN")
    x = to_tensor(bench.photo, bench.device, bench.dtype)
    res["esrgan_dtype"] = str(next(desc.model.parameters()).dtype)
    for name, fmt in (("nchw", torch.contiguous_format), ("nhwc", torch.channels_last)):
        desc.model.to(memory_format=fmt)
        with torch.inference_mode():
            put(f"esrgan_forward_{name}_s", lambda: med(lambda: desc(x)))
    desc.studio_nhwc = True
    with torch.inference_mode():
        big = to_uint8(desc(x))
    put("esrgan_call_s", lambda: med(lambda: hp.esrgan(bench.photo, bench.ctx)))
    put("sharpen_4096_s", lambda: med(lambda: hp.sharpen(big), 2))
    put(
        "jpeg97_4096_s",
        lambda: med(
            lambda: hp.packs.write_image(big, Path(tempfile.gettempdir()) / "x.jpg", quality=97), 2
        ),
    )
    put(
        "score_4096_s",
        lambda: med(
            lambda: hp.score_image(bench.scorer or NoFaceScorer(), big, np.zeros(128, np.float32)),
            2,
        ),
    )
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny models on the CPU")
    parser.add_argument("--device", default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--count", type=int, default=None, help="drafts in the pack (40)")
    parser.add_argument("--top-k", type=int, default=None, help="refined + upscaled (10)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--guidance", type=float, default=1.8)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--channels-last",
        action="store_true",
        help="NHWC UNet/ControlNet/VAEs (slower on the H100; the app keeps NCHW)",
    )
    parser.add_argument("--profile", action="store_true", help="per-stage breakdown only")
    args = parser.parse_args()
    import torch

    if args.smoke:
        torch.set_num_threads(1)  # tiny models: threads only add contention

    device = args.device or ("cpu" if args.smoke or not torch.cuda.is_available() else "cuda")
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    args.size = args.size or (64 if args.smoke else 1024)
    args.count = args.count or (4 if args.smoke else 40)
    args.top_k = args.top_k if args.top_k is not None else (2 if args.smoke else 10)
    if args.smoke:
        args.steps = min(args.steps, 2)
    out: dict[str, Any] = {
        "device": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
        "dtype": str(dtype).replace("torch.", ""),
        "torch": torch.__version__,
        "size": args.size,
        "count": args.count,
        "top_k": args.top_k,
        "batch": args.batch,
        "steps": args.steps,
        "guidance": args.guidance,
        "smoke": args.smoke,
        "channels_last": args.channels_last,
    }
    with tempfile.TemporaryDirectory() as tmp:
        built = measure(
            out, "build", lambda: build(args.smoke, device, dtype, Path(tmp), out["channels_last"])
        )
        if built is None:
            print(json.dumps(out, indent=1))
            return 1
        bench = measure(out, "setup", lambda: Bench(args, *built))
        if bench is None:
            print(json.dumps(out, indent=1))
            return 1
        if bench.scorer is None:
            out.setdefault("errors", {})["scorer"] = bench.scorer_error
        dev = device
        if args.profile:
            out["profile"] = profile(bench, dev)
            print(json.dumps(out, indent=1, default=str))
            return 0
        measure(
            out,
            "warmup",
            lambda: (bench.drafts(args.batch), bench.refine(bench.drafts(1)[0], True)),
        )
        t = measure(out, "score", lambda: _clock(bench.score, dev))
        out["score_s_per_image"] = t
        t = measure(out, "drafts", lambda: _clock(lambda: bench.drafts(args.batch * 2), dev))
        out["draft_s_per_image"] = t and t / (args.batch * 2)
        lat = measure(out, "latents", lambda: torch.cat(bench.drafts(args.batch)))
        if lat is not None:
            t = measure(out, "refine", lambda: _clock(lambda: bench.refine(lat, False), dev))
            out["refine_s_per_image"] = t and t / lat.shape[0]
        out["upscale_s_per_image"] = measure(out, "upscale", lambda: _clock(bench.upscale, dev))
        if args.guidance > 1.0:

            def no_cfg() -> float:
                bench.args.guidance, bench.guided = 1.0, False
                try:
                    return _clock(lambda: bench.drafts(args.batch * 2), dev) / (args.batch * 2)
                finally:
                    bench.args.guidance, bench.guided = args.guidance, True

            out["draft_s_per_image_without_cfg"] = measure(out, "drafts_no_cfg", no_cfg)

        measure(
            out,
            "pack_warmup",
            lambda: bench.production_pack(Path(tmp) / "warm", args.batch, args.batch),
        )
        times = measure(
            out, "pack", lambda: bench.production_pack(Path(tmp) / "pack", args.count, args.top_k)
        )
        out.update(times or {})
        if not args.skip_baseline:
            shortlist = measure(
                out,
                "baseline_latents",
                lambda: torch.cat(bench.drafts(args.batch))[:1].repeat(args.top_k, 1, 1, 1),
            )

            def baseline() -> None:
                for seed in range(args.count):
                    bench.baseline_draft(seed)
                bench.refine(shortlist, True)  # same refine + upscale as the pack

            measure(out, "baseline_warmup", lambda: bench.baseline_draft(0))
            out["baseline_pack_s"] = measure(out, "baseline", lambda: _clock(baseline, dev))
            if out.get("baseline_pack_s") and out.get("pack_s"):
                out["speedup"] = round(out["baseline_pack_s"] / out["pack_s"], 2)
        if device.startswith("cuda"):
            out["peak_vram_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 2)
    for k, v in list(out.items()):
        if isinstance(v, float):
            out[k] = round(v, 4)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
