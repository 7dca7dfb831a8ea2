"""Headshots: the production ``headshots.pack`` and ``headshots.reroll`` runners.

Sections (``--only``):
- ``pack``: the default pack (40 drafts, the top 10 refined and upscaled x4, 1024^2; with
  ``--smoke`` 4 drafts, 2 refined, 64^2) from one real selfie, after a small warm-up pack:
  ``pack_s`` (wall), the pipeline's own stage seconds, ``draft_s_per_image`` and
  ``refine_s_per_image`` (refine + x4 upscale + sharpen + JPEG, per refined image).
- ``reroll``: one image of that pack drawn again, a draft (``reroll_draft_s``) and a refined
  one (``reroll_refined_s``).
The face models are stand-ins (see :mod:`scripts.bench.models`); selfie checks and scoring
use dlib's trained models (``face-recognition-models``), which must be installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts.bench.harness import Bench
from scripts.bench.models import install

SECTIONS = ("pack", "reroll")
MODELS = ("realvisxl-v4-lightning", "instantid", "antelopev2", "taesdxl", "realesrgan-x4plus")


def selfie() -> Any:
    from skimage import data

    return data.astronaut()  # a real face photo, available offline


def pack_request(bench: Bench, folder: Path, count: int, top_k: int) -> Any:
    from studio.pipelines.headshots.pack import PackRequest

    return PackRequest(
        selfies=[selfie()],
        count=count,
        size=64 if bench.smoke else 1024,
        refine_top_k=top_k,
        batch_size=4,
        overrides={"steps": 2} if bench.smoke else {},
        folder=folder,
    )


def bench_pack(bench: Bench, ctx: Any, tmp: Path) -> dict[str, Any]:
    from studio.pipelines.headshots.pack import run

    count, top_k = (4, 2) if bench.smoke else (40, 10)
    run(pack_request(bench, tmp / "warmup", 4, 1), ctx)
    done: list[Any] = []
    wall = bench.clock(
        lambda: done.append(run(pack_request(bench, tmp / "pack", count, top_k), ctx))
    )
    stages = done[0].stage_seconds
    return {
        "size": 64 if bench.smoke else 1024,
        "count": count,
        "top_k": top_k,
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
    install(ctx, bench.size, *MODELS)
    bench.section("pack", lambda: bench_pack(bench, ctx, tmp))
    bench.section("reroll", lambda: bench_reroll(bench, ctx, tmp))
    if all("error" not in bench.results.get(k, {"error": 1}) for k in ("pack", "reroll")):
        bench.results.update(one_call_loop(bench.results))
