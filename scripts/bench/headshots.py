"""Headshots: the production ``headshots.pack`` and ``headshots.reroll`` runners.

Sections (``--only``):
- ``pack``: the default pack (40 drafts, the top 10 refined and upscaled x4, 1024^2; with
  ``--smoke`` 4 drafts, 2 refined, 64^2) from one real selfie, after a small warm-up pack:
  ``pack_s`` (wall), the pipeline's own stage seconds, ``draft_s_per_image`` and
  ``refine_s_per_image`` (refine + x4 upscale + sharpen + JPEG, per refined image).
- ``reroll``: one image of that pack drawn again, a draft (``reroll_draft_s``) and a refined
  one (``reroll_refined_s``).
Options (``python -m scripts.bench.headshots [--smoke] --face-detail 0.5 --pose KEY``, which
takes the harness's options too): ``--face-detail S`` runs both packs with face detail at
strength S (RestoreFormer, random weights in the published shapes), ``--pose KEY`` with the
pose preset KEY (the OpenPose ControlNet beside IdentityNet); the JSON records both under
``pack``, so "the default pack with face detail under 20 s" reads ``pack.pack_s``.
The face models are stand-ins (see :mod:`scripts.bench.models`); selfie checks and scoring
use dlib's trained models (``face-recognition-models``), which must be installed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scripts.bench.harness import Bench
from scripts.bench.models import install

SECTIONS = ("pack", "reroll")
MODELS = ("realvisxl-v4-lightning", "instantid", "antelopev2", "taesdxl", "realesrgan-x4plus")
POSE_ID = "controlnet-openpose-sdxl"
FACE_DETAIL_ID = "restoreformer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The headshot pack's options (``--face-detail``, ``--pose``)."""
    parser.add_argument(
        "--face-detail", type=float, default=0.0, metavar="S", help="face detail strength 0-1"
    )
    parser.add_argument("--pose", default="", metavar="KEY", help="a pose preset for the pack")


def options(args: Any) -> tuple[float, str]:
    """(face detail strength, pose preset) from the parsed options (absent: off)."""
    return float(getattr(args, "face_detail", 0.0) or 0.0), str(getattr(args, "pose", "") or "")


def build_pose_controlnet(folder: Path, size: str, ctx: Any) -> None:
    """xinsir/controlnet-openpose-sdxl-1.0's layout: a ControlNetModel at the folder's root,
    shaped from the base UNet (published shapes, random weights; tiny with ``--smoke``)."""
    import torch
    from diffusers import ControlNetModel, UNet2DConditionModel
    from scripts.bench import configs as cfg

    unet = UNet2DConditionModel(**cfg.SDXL_UNET[size])
    net = ControlNetModel.from_unet(unet, **cfg.CONTROLNET[size])
    for p in net.parameters():  # from_unet zero-inits the outputs: make them do work
        p.data.add_(torch.randn_like(p) * 0.02)
    net.to(torch.float16).save_pretrained(folder)


def build_restoreformer(folder: Path, size: str, ctx: Any) -> None:
    """GFPGAN's ``RestoreFormer.pth`` layout (``params_ema``); published shapes or tiny."""
    import torch
    from spandrel.architectures.RestoreFormer import RestoreFormer

    if size == "tiny":
        from tests.fixtures.face_restore_models import build_tiny_restoreformer

        with torch.device("cpu"):
            build_tiny_restoreformer(folder)
        return
    net = RestoreFormer()  # spandrel's defaults are the published network's
    torch.save(
        {"params_ema": {k: v.cpu() for k, v in net.state_dict().items()}},
        folder / "RestoreFormer.pth",
    )


def selfie() -> Any:
    from skimage import data

    return data.astronaut()  # a real face photo, available offline


def pack_request(
    bench: Bench, folder: Path, count: int, top_k: int, face_detail: float = 0.0, pose: str = ""
) -> Any:
    from studio.pipelines.headshots.pack import PackRequest

    return PackRequest(
        selfies=[selfie()],
        count=count,
        size=64 if bench.smoke else 1024,
        refine_top_k=top_k,
        batch_size=4,
        face_detail=face_detail,
        pose=pose,
        overrides={"steps": 2} if bench.smoke else {},
        folder=folder,
    )


def bench_pack(
    bench: Bench, ctx: Any, tmp: Path, detail: float = 0.0, pose: str = ""
) -> dict[str, Any]:
    from studio.pipelines.headshots.pack import run

    count, top_k = (4, 2) if bench.smoke else (40, 10)
    run(pack_request(bench, tmp / "warmup", 4, 1, detail, pose), ctx)
    done: list[Any] = []
    request = pack_request(bench, tmp / "pack", count, top_k, detail, pose)
    wall = bench.clock(lambda: done.append(run(request, ctx)))
    stages = done[0].stage_seconds
    return {
        "size": 64 if bench.smoke else 1024,
        "count": count,
        "top_k": top_k,
        "face_detail": detail,
        "pose": pose,
        "pack_s": wall,
        "stages_s": stages,
        "draft_s_per_image": stages["drafts"] / count,
        "refine_s_per_image": stages["refine"] / top_k,
    }


def bench_reroll(bench: Bench, ctx: Any, tmp: Path) -> dict[str, Any]:
    from studio.pipelines.headshots.packs import load_pack
    from studio.pipelines.headshots.reroll import RerollRequest, reroll

    folder = tmp / "pack"
    if not folder.exists():  # --only reroll: make the pack to re-roll from
        from studio.pipelines.headshots.pack import run

        run(pack_request(bench, folder, 4, 1), ctx)
    pack = load_pack(folder)
    refined = next(im.index for im in pack.images if im.final)
    draft = next(im.index for im in pack.images if not im.final)
    seeds = iter(range(1000, 10**6))
    out: dict[str, Any] = {}
    repeat = min(bench.repeat, 3)  # a refined re-roll is a whole refine + x4 upscale
    for name, index in (("reroll_draft_s", draft), ("reroll_refined_s", refined)):
        timing = bench.time(
            lambda i=index: reroll(RerollRequest(folder, i, next(seeds)), ctx), repeat
        )
        out[name] = timing["median_ms"] / 1000
    return out


def one_call_loop(results: dict[str, Any]) -> dict[str, Any]:
    """The pack done one call per image: each draft drawn alone (a draft re-roll) and each
    refined image drawn, refined and upscaled alone (a refined re-roll), from the measured
    re-rolls; ``ratio`` = that loop / the batched pack."""
    pack, rerolls = results["pack"], results["reroll"]
    count, top_k = pack["count"], pack["top_k"]
    loop_s = (count - top_k) * rerolls["reroll_draft_s"] + top_k * rerolls["reroll_refined_s"]
    return {
        "studio_ms": pack["pack_s"] * 1000,
        "plain_ms": loop_s * 1000,
        "ratio": round(loop_s / max(pack["pack_s"], 1e-9), 3),
        "plain_path": "one call per image (sum of measured re-rolls)",
    }


def run_all(bench: Bench, ctx: Any, args: Any, tmp: Path) -> None:
    detail, pose = options(args)
    extra = {POSE_ID: build_pose_controlnet, FACE_DETAIL_ID: build_restoreformer}
    wanted = [POSE_ID] * bool(pose) + [FACE_DETAIL_ID] * bool(detail)
    install(ctx, bench.size, *MODELS, *wanted, using=extra)
    bench.section("pack", lambda: bench_pack(bench, ctx, tmp, detail, pose))
    bench.section("reroll", lambda: bench_reroll(bench, ctx, tmp))
    if all("error" not in bench.results.get(k, {"error": 1}) for k in ("pack", "reroll")):
        bench.results.update(one_call_loop(bench.results))


def main(argv: list[str] | None = None) -> int:
    """``python -m scripts.bench.headshots``: the harness's options plus :func:`add_arguments`."""
    import json
    import os

    from scripts.bench.__main__ import parse, run_workspace

    parser = argparse.ArgumentParser(prog="python -m scripts.bench.headshots")
    add_arguments(parser)
    ours, rest = parser.parse_known_args(argv)
    args = parse(["headshots", *rest])
    args.face_detail, args.pose = ours.face_detail, ours.pose
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    result = run_workspace(args)
    text = json.dumps(result, indent=1, default=str)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if any(isinstance(v, dict) and "error" in v for v in result.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
