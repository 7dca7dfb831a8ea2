"""The jobs ``scripts/bench_vram.py`` runs under each memory cap: each workspace's benchmark
job as (kind, production runner, warm-up request, timed request[, plan override])."""

from __future__ import annotations

from pathlib import Path
from typing import Any


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


def _has_dlib() -> bool:
    try:
        import dlib  # noqa: F401
    except ImportError:
        return False
    return True


def jobs(smoke: bool, tmp: Path) -> dict[str, tuple[Any, ...]]:
    """name -> (job kind, runner, warm-up request, timed request[, plan override])."""
    from scripts.bench.canvas import centre_mask, photo
    from scripts.bench.harness import Bench
    from scripts.bench.headshots import pack_request
    from scripts.bench.lipsync import avatar_png, speech_wav
    from scripts.bench.live import camera

    from studio.pipelines.canvas import fill, remove, segment, upscale
    from studio.pipelines.jobspec import as_spec, workspace_jobs
    from studio.pipelines.lipsync.render import RenderRequest
    from studio.pipelines.live.jobs import LiveStreamRequest
    from studio.pipelines.live.session import LiveControls, LiveSettings

    table = workspace_jobs()
    side = 64 if smoke else 1024
    image, mask = photo(side), centre_mask(side)
    bench = Bench("cpu" if smoke else "cuda:0", smoke, repeat=1)

    def run(kind: str) -> Any:
        return as_spec(table[kind]).resolve()

    def sam(key: str) -> Any:
        c = side // 2
        return segment.SegmentRequest(image, [(c, c)], [1], model="sam-vit-h", image_key=key)

    def fill_req() -> Any:
        steps = 2 if smoke else 8
        return fill.FillRequest(image, mask, "a red balloon", steps=steps, guidance=1.0,
                                fast=True, seed=1, work_side=side)  # fmt: skip

    def pack_req(name: str, count: int, top_k: int) -> Any:
        request = pack_request(bench, tmp / name, count, top_k)
        if not _has_dlib():
            request.selfies = []  # pack_stages: a fixed identity instead of the selfie check
        return request

    def speech(name: str, seconds: float) -> Any:
        avatar = avatar_png(tmp / "avatar.png")
        wav = speech_wav(tmp / f"{name}.wav", seconds)
        return RenderRequest(avatar, wav, tmp / f"{name}.mp4", cache_dir=tmp / "cache")

    live_side = 64 if smoke else 512
    settings = LiveSettings(prompt="a watercolour portrait", width=live_side, height=live_side,
                            similarity_threshold=1.0, max_skip=0)  # fmt: skip

    def frames(n: int) -> Any:
        source = camera(live_side)
        return LiveStreamRequest(controls=LiveControls(settings), source=source, max_frames=n)

    count, top_k = (4, 2) if smoke else (40, 10)
    canvas = {
        "segment": ("canvas.segment", run("canvas.segment"), sam("warm"), sam("timed")),
        # ViT-H streamed layer by layer from system memory: the last plan before ViT-B.
        "segment_streamed": (
            "canvas.segment",
            run("canvas.segment"),
            sam("warm2"),
            sam("timed2"),
            "sequential_offload",
        ),  # fmt: skip
        "remove": (
            "canvas.remove",
            run("canvas.remove"),
            remove.RemoveRequest(image, mask, max_side=side),
            remove.RemoveRequest(image, mask, max_side=side),
        ),  # fmt: skip
        "upscale": (
            "canvas.upscale",
            run("canvas.upscale"),
            upscale.UpscaleRequest(image),
            upscale.UpscaleRequest(image),
        ),  # fmt: skip
        "fill": ("canvas.fill", run("canvas.fill"), fill_req(), fill_req()),
    }
    return {
        **canvas,
        "pack": (
            "headshots.pack",
            run("headshots.pack") if _has_dlib() else pack_stages,
            pack_req("warm", 4, 1),
            pack_req("pack", count, top_k),
        ),  # fmt: skip
        "lipsync": (
            "lipsync.render",
            run("lipsync.render"),
            speech("warm", 1),
            speech("speech", 1 if smoke else 10),
        ),  # fmt: skip
        "live": ("live.stream", run("live.stream"), frames(3), frames(5 if smoke else 30)),
    }
