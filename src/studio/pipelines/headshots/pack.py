"""The headshot pack: selfies in, a scored, refined pack of identity-preserving portraits out.

Stages (each reported through ``ctx.progress``; ``ctx.check()`` between every step):

1. *Checking selfies* (:mod:`identity`): dlib checks each photo (one face, large, sharp, lit)
   and gives the scoring descriptor; insightface (antelopev2) gives InstantID's embedding and
   keypoints.
2. *Drafts*: batches of ``batch_size`` images, one seed each, decoded by the tiny VAE; every
   draft is saved, scored (identity, sharpness, duplicates) and streamed out as a preview.
3. *Refining*: the best ``refine_top_k`` get a short img2img pass on their latents, the full
   VAE decode and (optionally) Real-ESRGAN x4 + a light unsharp mask.

The CPU work of each image (writing, dlib scoring, duplicate check, sharpening, JPEG) runs on
:mod:`overlap` tail threads while the GPU samples the next batch; results are reported in
order on the calling thread (refining lives in :mod:`finishing`).

Everything is written to the pack folder as it finishes (see :mod:`packs`). Cancel or an
out-of-memory error keeps the finished images (the tail completes what it started); running
the same request again (the service does this in low-memory mode after an OOM) resumes the
pack where it stopped.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput
from studio.pipelines import faces
from studio.pipelines.context import RunContext
from studio.pipelines.headshots import generate, instantid, overlap, packs, quality, styles
from studio.pipelines.headshots import pose_control as posing
from studio.pipelines.headshots.finishing import (  # noqa: F401 (re-exported)
    FACE_DETAIL_ID,
    SCORE_SIDE,
    UPSCALER_ID,
    esrgan,
    face_fix_models,
    finish_images,
    preview,
    run_refine,
    score_image,
    sharpen,
    upscale,
)
from studio.pipelines.headshots.frames import ASPECTS, frame_of, frame_size  # noqa: F401
from studio.pipelines.headshots.identity import (  # noqa: F401 (re-exported)
    Identity,
    analyse_selfies,
    face_analysis,
    identity_dict,
    identity_from_pack,
    scorer,
)
from studio.pipelines.headshots.pose import check_pose
from studio.pipelines.headshots.style_lora import use_settings_lora
from studio.pipelines.memory_plan import plan_for

MAX_SELFIES = 3


def _new_pack_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


@dataclass
class PackRequest:
    """Everything one pack needs. ``folder`` defaults to ``<data>/headshots/<pack_id>``."""

    selfies: list[Any]  # paths, bytes or RGB arrays (1-3)
    style: str = "corporate"
    custom_prompt: str = ""  # extra text for the style, or the whole prompt for style "custom"
    count: int = 40
    size: int = 1024  # the square side; other formats keep about as many pixels
    aspect: str = "1:1"  # portrait formats: "4:5" (896x1120 at 1024), "2:3" (832x1248)
    refine_top_k: int = 10
    upscale: bool = True
    # Face detail strength (0 = off, the default: the restoration model is an optional
    # download and InstantID faces are usually clean; 0.5 is a good "on" value).
    face_detail: float = 0.0
    face_fix: str = ""  # "inpaint": repaint each face with a few LCM steps first (finishing)
    # "": the selfie's keypoints; a pose.POSE_PRESETS key; or a photo (Path, bytes, array)
    pose: Any = ""
    batch_size: int = 4
    seed: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)  # guidance, steps, id_strength...
    folder: Path | None = None
    pack_id: str = field(default_factory=_new_pack_id)
    base_model: str = generate.BASE_ID
    instantid_model: str = generate.INSTANTID_ID
    face_model: str = faces.DEFAULT_PACK


@dataclass
class PackResult:
    pack: packs.Pack
    folder: Path
    ranked: list[int]  # image indices, best first
    stage_seconds: dict[str, float]


def pack_folder(request: PackRequest) -> Path:
    if request.folder is not None:
        return Path(request.folder)
    from studio.core.paths import headshot_packs_dir

    return headshot_packs_dir() / request.pack_id


def resolve_style(request: PackRequest) -> styles.StylePack:
    if request.style.lower() == "custom":
        return styles.custom_style(request.custom_prompt)
    return styles.get_style(request.style)


def check_request(request: PackRequest) -> None:
    """Cheap checks before any model loads."""
    if not request.selfies:
        raise BadInput("Add at least one selfie.")
    if len(request.selfies) > MAX_SELFIES:
        raise BadInput(f"Use at most {MAX_SELFIES} selfies.")
    if request.count < 1:
        raise BadInput("Ask for at least one image.")
    if request.size % 64 or not 64 <= request.size <= 2048:
        raise BadInput("The image size must be a multiple of 64 between 64 and 2048 pixels.")
    if request.refine_top_k < 0 or request.batch_size < 1:
        raise BadInput("Refine count and batch size must not be negative.")
    if request.aspect not in ASPECTS:
        raise BadInput(f"The format must be one of {', '.join(ASPECTS)} (got {request.aspect!r}).")
    if min(frame_size(request.size, request.aspect)) < 64:
        raise BadInput(f"The size {request.size} is too small for the {request.aspect} format.")
    fd = request.face_detail
    if isinstance(fd, bool) or not isinstance(fd, (int, float)) or not 0 <= fd <= 1:
        raise BadInput(f"The face detail strength must be 0 to 1 (got {fd!r}).")
    check_pose(request.pose)


class Session:
    """State shared by the stages of one run (models, conditioning, the pack)."""

    def __init__(
        self,
        request: PackRequest,
        ctx: RunContext,
        pack: packs.Pack,
        identity: Identity,
        style: styles.StylePack,
        *,
        models: Any = None,
        text: Any = None,
        face_scorer: Any = None,
    ) -> None:
        """``models``/``text``/``face_scorer`` are loaded from the store unless given (the
        benchmark passes models built from configs)."""
        self.request, self.ctx, self.pack, self.identity, self.style = (
            request,
            ctx,
            pack,
            identity,
            style,
        )
        self.settings = pack.settings
        self.plan = plan_for(ctx, "headshots.pack", "headshots.reroll")  # batch cap, tiling
        self.models = models or generate.load_models(
            ctx, request.base_model, request.instantid_model
        )
        guided = float(self.settings["guidance"]) > 1.0
        use_settings_lora(self.models.pipe, ctx.store, self.settings)  # before the prompt
        self.text = text or generate.encode_text(
            self.models, pack.prompt, pack.negative_prompt, guided
        )
        self.pose, self.pose_net = posing.session_pose(
            ctx, self.settings, self.plan, self.models.device
        )
        self.tokens = instantid.face_tokens(self.models.resampler, identity.embedding, 1, guided)
        self.scorer = face_scorer or scorer(ctx)
        self.thumbs: dict[int, np.ndarray] = {}
        self.lock = threading.Lock()  # the manifest, written from the CPU-tail threads

    def sample(self, indices: list[int], seeds: list[int], **kw: Any) -> Any:
        s = self.settings
        return generate.sample(
            self.models,
            self.ctx,
            text=self.text,
            tokens=self.tokens,
            seeds=seeds,
            size=frame_of(s),
            guidance=float(s["guidance"]),
            control_scale=float(s["control_strength"]),
            id_scale=float(s["id_strength"]),
            **posing.sample_inputs(self, indices),
            **kw,
        )

    def add_draft(
        self,
        index: int,
        seed: int,
        latent: Any,
        rgb: np.ndarray,
        turn: tuple[threading.Event, threading.Event] | None = None,
    ) -> packs.PackImage:
        """Write, score and register one draft. ``turn`` (wait for, then set) lets threads
        score drafts side by side while the duplicate check and the manifest go in order."""
        item = packs.PackImage(
            index=index,
            seed=seed,
            draft=f"drafts/{index:03d}.jpg",
            latent=f"latents/{index:03d}.npy",
        )
        try:
            packs.write_latent(latent, self.pack.path(item.latent))
            packs.write_image(rgb, self.pack.path(item.draft), quality=92)
            item.face_found, item.id_score, item.sharpness = score_image(
                self.scorer, rgb, self.identity.descriptor
            )
            thumb = quality.thumbnail(rgb)
            if turn is not None:
                turn[0].wait()
            for other, other_thumb in list(self.thumbs.items()):
                if quality.ssim(thumb, other_thumb) >= quality.DUPLICATE_SSIM:
                    item.duplicate_of = other
                    break
            self.thumbs[index] = thumb
            item.flags = quality.flags_for(item)
            with self.lock:
                self.pack.images = [im for im in self.pack.images if im.index != index] + [item]
                self.pack.images.sort(key=lambda im: im.index)
                self.pack.save()
        finally:
            if turn is not None:
                turn[1].set()  # also on failure: the next draft must not wait forever
        return item


def _open_pack(
    request: PackRequest,
    style: styles.StylePack,
    identity: Identity,
    checks: list[quality.SelfieCheck],
    extra: dict[str, Any],
) -> packs.Pack:
    folder = pack_folder(request)
    if (folder / packs.MANIFEST).is_file():
        pack = packs.load_pack(folder)
        same_frame = pack.settings.get("aspect", "1:1") == request.aspect
        if pack.style != style.id or pack.settings.get("size") != request.size or not same_frame:
            raise BadInput(
                f"{folder} already holds a different pack ({pack.style}, "
                f"{pack.settings.get('size')} px). Choose another folder."
            )
        # Resume only what is really on disk; anything half-written is redone.
        pack.images = [
            im
            for im in pack.images
            if pack.path(im.draft).is_file() and pack.path(im.latent).is_file()
        ]
        for im in pack.images:
            if im.final and not pack.path(im.final).is_file():
                im.final = ""
        pack.settings["count"] = request.count
        pack.complete = False
        return pack
    settings = {k: request.overrides.get(k, style.setting(k)) for k in styles.DEFAULTS}
    width, height = frame_size(request.size, request.aspect)
    settings.update(
        size=request.size,
        aspect=request.aspect,
        width=width,
        height=height,
        seed=request.seed,
        count=request.count,
        refine_top_k=request.refine_top_k,
        upscale=request.upscale,
        face_detail=float(request.face_detail),
        face_fix=request.face_fix,
        **extra["settings"],
    )
    selfies = []
    for i, check in enumerate(checks):
        rel = f"selfies/{i}.jpg"
        packs.write_image(check.chip, folder / rel, quality=95)
        selfies.append(
            {
                "name": check.name,
                "crop": rel,
                "sharpness": check.sharpness,
                "brightness": check.brightness,
            }
        )
    models = {
        "base": request.base_model,
        "identity": request.instantid_model,
        "faces": request.face_model,
        "scoring": "dlib_face_recognition_resnet_model_v1",
    }
    if request.upscale:
        models["upscale"] = UPSCALER_ID
    if request.face_detail:
        models["face_detail"] = FACE_DETAIL_ID
    models.update(extra["models"])
    custom = request.custom_prompt if style.id != "custom" else ""
    pack = packs.Pack(
        folder=folder,
        style=style.id,
        prompt=style.render(custom),
        negative_prompt=style.negative_prompt,
        settings=settings,
        models=models,
        selfies=selfies,
        identity=identity_dict(identity),
    )
    pack.save()
    return pack


def run_drafts(session: Session) -> None:
    pack, ctx, s = session.pack, session.ctx, session.settings
    count, done_idx = int(s["count"]), {im.index for im in session.pack.images}
    for im in pack.images:
        session.thumbs[im.index] = quality.thumbnail(quality.load_image(pack.path(im.draft)))
    todo = [i for i in range(count) if i not in done_idx]
    batch = 1 if ctx.low_memory else session.plan.batch(session.request.batch_size)
    ctx.progress("Drafts", len(done_idx), count)

    def saved(result: tuple[packs.PackImage, np.ndarray]) -> None:
        done_idx.add(result[0].index)
        ctx.progress("Drafts", len(done_idx), count, preview(result[1]))

    def save(
        index: int, seed: int, latent: Any, rgb: np.ndarray, turn: Any
    ) -> tuple[Any, np.ndarray]:
        return session.add_draft(index, seed, latent, rgb, turn), rgb

    # Drafts are written and scored on tail threads while the GPU samples the next batch;
    # the duplicate check (against the earlier drafts) and the manifest go in index order.
    previous = threading.Event()
    previous.set()
    with overlap.Tail(overlap.default_workers()) as tail:
        for start in range(0, len(todo), batch):
            indices = todo[start : start + batch]
            seeds = [int(s["seed"]) + i for i in indices]
            latents = session.sample(
                indices, seeds, steps=int(s["steps"]), on_step=lambda *_: tail.report()
            )
            images = generate.decode_tiny(session.models, latents)
            for index, seed, latent, rgb in zip(
                indices, seeds, latents.cpu(), images, strict=False
            ):
                turn = (previous, threading.Event())
                tail.submit(save, index, seed, latent, rgb, turn, on_done=saved)
                previous = turn[1]
            tail.report()
            ctx.check()
        tail.finish()


def run(request: PackRequest, ctx: RunContext) -> PackResult:
    """Generate (or resume) a headshot pack; see the module docstring."""
    check_request(request)
    style = resolve_style(request)
    if request.style.lower() != "custom":
        styles.check_prompt(request.custom_prompt)
    needed = [request.base_model, request.instantid_model, request.face_model]
    if request.upscale and request.refine_top_k:
        needed.append(UPSCALER_ID)
    if request.face_detail and request.refine_top_k:
        needed.append(FACE_DETAIL_ID)
    needed += face_fix_models(request)
    needed += posing.extra_models(request.pose, style, ctx.store)  # pose net, style LoRA
    ctx.store.require_all(*needed)  # fail before any work, naming every missing model
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    identity, checks = analyse_selfies(request, ctx)
    pack = _open_pack(request, style, identity, checks, posing.pack_extras(ctx, request, style))
    timings["selfies"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    session = Session(request, ctx, pack, identity_from_pack(pack), style)
    timings["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_drafts(session)
    timings["drafts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_refine(session)
    timings["refine"] = time.perf_counter() - t0
    pack.complete = True
    pack.save()
    return PackResult(pack, pack.folder, [im.index for im in pack.ranked()], timings)
