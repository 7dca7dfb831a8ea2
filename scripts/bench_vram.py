#!/usr/bin/env python
"""Every workspace's benchmark job under GPU memory caps of 6-24 GB; prints one JSON object.

    python scripts/bench_vram.py                        # caps 6, 8, 12, 16, 24 GiB
    python scripts/bench_vram.py --caps 8 --jobs fill,pack
    python scripts/bench_vram.py --smoke                # tiny models on the CPU, no cap

Real-size models with random weights (they time exactly like trained ones) are written once
into a temporary model store in their published layouts. Then one process per cap limits
torch to that much memory (``torch.cuda.set_per_process_memory_fraction``), tells the memory
planner the same figure (the VRAM budget setting) and runs each job through
``studio.pipelines.plan_runner.run_with_plan`` (the plan choice and the one-step OOM
fallback the app uses) and the production runners: ``canvas.fill`` (SDXL inpaint 1024^2,
8 steps, no CFG), ``canvas.segment`` (SAM ViT-H embedding + click), ``canvas.remove`` (LaMa),
``canvas.upscale`` (Real-ESRGAN x4, 1024 -> 4096) and the headshot pack (40 drafts + top 10
refined and upscaled, through the pack's own stages ``run_drafts`` + ``run_refine`` with the
production model loader; the selfie check needs dlib and insightface, which the GPU machine
lacks, so a fixed identity stands in and faces are not scored). Each job runs once cold
(loading included: ``first_s``) and once warm (``s``); ``peak_gib`` is the larger peak of
the two (allocated; ``reserved_gib`` is what the cap limits). Models are evicted between
jobs, as when a user switches workspaces.
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
sys.path.insert(0, str(ROOT))  # tests.fixtures: the tiny builders and the tokenizer writer
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_configs import SDXL_UNET, SDXL_VAE, rrdb_state, sync  # noqa: E402

GIB = 2**30
JOB_NAMES = ("segment", "segment_streamed", "remove", "upscale", "fill", "pack")


# ---- the model store (built once, by the parent) --------------------------------------------
def _text_encoders(real: bool) -> tuple[Any, Any]:
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    common = {"vocab_size": 49408, "max_position_embeddings": 77}
    enc1 = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=768,
            intermediate_size=3072,
            num_hidden_layers=12,
            num_attention_heads=12,
            hidden_act="quick_gelu",
            **common,
        )
    )
    enc2 = CLIPTextModelWithProjection(
        CLIPTextConfig(
            hidden_size=1280,
            intermediate_size=5120,
            num_hidden_layers=32,
            num_attention_heads=20,
            projection_dim=1280,
            hidden_act="gelu",
            **common,
        )
    )
    return enc1, enc2


def build_sdxl(folder: Path, inpaint: bool, device: str) -> Any:
    """Real-size SDXL (base, or the 9-channel inpainting model) saved in the fp16 layout."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionXLInpaintPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from tests.fixtures.diffusion import EOS, SDXL_FILES, _finish, write_tiny_clip_tokenizer
    from transformers import CLIPTokenizer

    write_tiny_clip_tokenizer(folder / "tokenizer", pad_token=EOS)
    write_tiny_clip_tokenizer(folder / "tokenizer_2", pad_token="!")
    with torch.device(device):  # random init on the GPU: seconds instead of minutes
        unet = UNet2DConditionModel(**dict(SDXL_UNET, in_channels=9 if inpaint else 4))
        vae = AutoencoderKL(**SDXL_VAE)
        enc1, enc2 = _text_encoders(True)
    parts = dict(
        vae=vae,
        text_encoder=enc1,
        text_encoder_2=enc2,
        tokenizer=CLIPTokenizer.from_pretrained(folder / "tokenizer"),
        tokenizer_2=CLIPTokenizer.from_pretrained(folder / "tokenizer_2"),
        unet=unet,
        scheduler=EulerDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            steps_offset=1,
            timestep_spacing="trailing",
        ),
    )
    cls = StableDiffusionXLInpaintPipeline if inpaint else StableDiffusionXLPipeline
    extra = {"requires_aesthetics_score": False} if inpaint else {}
    pipe = cls(**parts, **extra).to(torch.float16)
    pipe.save_pretrained(folder, safe_serialization=True, variant="fp16")
    _finish(folder, SDXL_FILES, {"tokenizer": EOS, "tokenizer_2": "!"})
    return unet


def build_instantid(folder: Path, unet: Any, device: str) -> None:
    """Real-size InstantID: IdentityNet (``ControlNetModel.from_unet``) + ``ip-adapter.bin``."""
    import torch
    from diffusers import ControlNetModel
    from tests.fixtures.face_models import instantid_state_dict

    with torch.device(device):
        controlnet = ControlNetModel.from_unet(unet)
    controlnet.to(torch.float16).save_pretrained(
        folder / "ControlNetModel", safe_serialization=True
    )
    state = instantid_state_dict(unet.to("cpu"), dim=1280, depth=4)
    torch.save(
        {k: {n: t.half() for n, t in v.items()} for k, v in state.items()},
        folder / "ip-adapter.bin",
    )


MODELS_FOR = {
    "segment": ("sam-vit-h", "sam-vit-b"),
    "segment_streamed": ("sam-vit-h", "sam-vit-b"),
    "remove": ("lama-big",),
    "upscale": ("realesrgan-x4plus",),
    "fill": ("sdxl-inpaint",),
    "pack": ("realvisxl-v4-lightning", "instantid", "taesdxl", "realesrgan-x4plus"),
}


def build_store(root: Path, smoke: bool, job_names: list[str]) -> dict[str, float]:
    """Write the models ``job_names`` need into ``root/models``; returns seconds per model."""
    import torch
    from tests.fixtures import canvas_models, diffusion, face_models

    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.pipelines.canvas import remove, segment, upscale

    store = ModelStore(root / "models", load_catalogue())
    device = "cuda" if torch.cuda.is_available() and not smoke else "cpu"
    torch.manual_seed(0)
    held: dict[str, Any] = {}

    def sam(model_id: str) -> Any:
        def write(folder: Path) -> None:
            if smoke:
                canvas_models.build_tiny_sam(folder, segment.SAM_MODELS[model_id])
                return
            from segment_anything import sam_model_registry

            with torch.device(device):
                model = sam_model_registry["vit_h" if model_id.endswith("h") else "vit_b"]()
            torch.save(model.state_dict(), folder / segment.SAM_MODELS[model_id])

        return write

    def base(folder: Path) -> None:
        if smoke:
            diffusion.build_tiny_sdxl(folder)
        else:
            held["unet"] = build_sdxl(folder, False, device)

    def instantid(folder: Path) -> None:
        if smoke:
            face_models.build_tiny_instantid(folder, store.require("realvisxl-v4-lightning"))
        else:
            build_instantid(folder, held.pop("unet"), device)

    def esrgan(folder: Path) -> None:
        nf, blocks = (8, 1) if smoke else (64, 23)
        state = {"params_ema": rrdb_state(nf, 32, blocks)}
        torch.save(state, folder / upscale.ESRGAN_FILE)

    def taesdxl(folder: Path) -> None:
        from diffusers import AutoencoderTiny

        if smoke:
            diffusion.build_tiny_taesd(folder, xl=True)
        else:
            AutoencoderTiny().save_pretrained(folder, safe_serialization=True)

    builders = {
        "sam-vit-h": sam("sam-vit-h"),
        "sam-vit-b": sam("sam-vit-b"),
        remove.LAMA_ID: lambda f: canvas_models.build_big_lama(f, remove.LAMA_FILE),
        upscale.ESRGAN_ID: esrgan,
        "sdxl-inpaint": lambda f: (
            diffusion.build_tiny_sdxl(f, inpaint=True) if smoke else build_sdxl(f, True, device)
        ),
        "realvisxl-v4-lightning": base,
        "instantid": instantid,
        "taesdxl": taesdxl,
    }
    wanted = {m for name in job_names for m in MODELS_FOR[name]}
    seconds = {}
    for model_id, build in builders.items():
        if model_id not in wanted:
            continue
        t0 = time.perf_counter()
        staged = store.staging_dir(model_id)
        build(staged)
        store.commit(model_id, staged, {})  # no hashes: hashing 20 GB takes minutes
        seconds[model_id] = round(time.perf_counter() - t0, 1)
        if device == "cuda":
            torch.cuda.empty_cache()
    return seconds


# ---- the jobs (run in the capped child) -----------------------------------------------------
def _photo(side: int) -> Any:
    import numpy as np

    try:
        import cv2
        from skimage import data

        return cv2.resize(data.astronaut(), (side, side), interpolation=cv2.INTER_CUBIC)
    except Exception:  # noqa: BLE001 - any photo-like input will do
        return np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)


def _square_mask(side: int) -> Any:
    import numpy as np

    mask = np.zeros((side, side), np.uint8)
    mask[side // 4 : 3 * side // 4, side // 4 : 3 * side // 4] = 255
    return mask


class NoFaceScorer:
    """dlib stands-in where it is not installed (the GPU machine): no face found, so scoring
    costs only the sharpness measure (dlib runs on CPU tail threads in the app)."""

    def largest(self, rgb: Any) -> None:
        return None


def pack_stages(request: Any, ctx: Any) -> Any:
    """The headshot pack's stages after the selfie check (``pack.run`` minus dlib/insightface):
    models through ``generate.load_models``, prompt encoding, drafts, refine + upscale."""
    import numpy as np

    from studio.pipelines.headshots import pack as hp
    from studio.pipelines.headshots import packs, styles

    style = styles.get_style("corporate")
    size = request.size
    settings = dict(
        styles.DEFAULTS,
        size=size,
        seed=0,
        count=request.count,
        refine_top_k=request.refine_top_k,
        upscale=True,
    )
    pack = packs.Pack(
        folder=Path(request.folder),
        style=style.id,
        prompt=style.render(""),
        negative_prompt=style.negative_prompt,
        settings=settings,
        models={},
        selfies=[],
    )
    pack.save()
    kps = np.array([[0.4, 0.4], [0.6, 0.4], [0.5, 0.5], [0.42, 0.6], [0.58, 0.6]]) * size
    identity = hp.Identity(
        np.random.default_rng(0).random(512).astype(np.float32),
        np.zeros(128, np.float32),
        kps,
        np.array([0.3, 0.25, 0.7, 0.75]) * size,
    )
    session = hp.Session(request, ctx, pack, identity, style, face_scorer=NoFaceScorer())
    hp.run_drafts(session)
    hp.run_refine(session)
    assert sum(bool(im.final) for im in pack.images) == min(request.refine_top_k, request.count)
    return pack


def jobs(smoke: bool, tmp: Path) -> dict[str, tuple[Any, ...]]:
    """name -> (job kind, runner, warm-up request, timed request[, plan override])."""
    from studio.pipelines.canvas import JOBS as CANVAS
    from studio.pipelines.canvas import fill, remove, segment, upscale
    from studio.pipelines.headshots import pack as hp

    side = 64 if smoke else 1024
    photo, mask = _photo(side), _square_mask(side)

    def sam(key: str) -> Any:
        c = side // 2
        return segment.SegmentRequest(photo, [(c, c)], [1], model="sam-vit-h", image_key=key)

    def fill_req() -> Any:
        return fill.FillRequest(
            photo, mask, "a red balloon", steps=2 if smoke else 8, guidance=1.0, seed=1,
            work_side=side,
        )  # fmt: skip

    def pack_req(name: str, count: int, top_k: int) -> Any:
        return hp.PackRequest(
            selfies=[], count=count, size=side, refine_top_k=top_k, folder=tmp / name
        )

    count, top_k = (4, 2) if smoke else (40, 10)
    return {
        "segment": ("canvas.segment", CANVAS["canvas.segment"], sam("warm"), sam("timed")),
        # ViT-H streamed layer by layer from system memory: the last plan before ViT-B.
        "segment_streamed": (
            "canvas.segment",
            CANVAS["canvas.segment"],
            sam("warm2"),
            sam("timed2"),
            "sequential_offload",
        ),
        "remove": (
            "canvas.remove",
            CANVAS["canvas.remove"],
            remove.RemoveRequest(photo, mask, max_side=side),
            remove.RemoveRequest(photo, mask, max_side=side),
        ),
        "upscale": (
            "canvas.upscale",
            CANVAS["canvas.upscale"],
            upscale.UpscaleRequest(photo),
            upscale.UpscaleRequest(photo),
        ),
        "fill": ("canvas.fill", CANVAS["canvas.fill"], fill_req(), fill_req()),
        "pack": (
            "headshots.pack",
            pack_stages,
            pack_req("warm", 4, 1),
            pack_req("pack", count, top_k),
        ),
    }


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

    def progress(stage: str, done: int, total: int, preview: Any = None) -> None:
        if stage.startswith("Out of memory") and stage not in messages:
            messages.append(stage)

    store = ModelStore(Path(args.root) / "models", load_catalogue())
    ctx = RunContext(store=store, cache=ModelCache(), device=device, progress=progress)
    tmp = Path(tempfile.mkdtemp(prefix=f"bench_vram_{args.cap}_"))
    table = jobs(args.smoke, tmp)
    for name in args.jobs.split(","):
        kind, runner, warm, timed, *override = table[name]
        override = override[0] if override else "auto"
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
        t0 = time.perf_counter()
        result["build_s"] = build_store(root, args.smoke, args.jobs.split(","))
        result["build_total_s"] = round(time.perf_counter() - t0, 1)
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
            stderr, code = f"timed out after {args.timeout} s", -1
        for line in stdout.splitlines():
            if line.startswith("{"):
                rows.append(json.loads(line))
        finished = {r["job"] for r in rows if r["cap_gib"] == cap}
        for name in args.jobs.split(","):
            if name not in finished:
                rows.append({"cap_gib": cap, "job": name, "error": f"no result (rc {code})"})
                rows[-1]["stderr"] = (stderr or "")[-1500:]
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
