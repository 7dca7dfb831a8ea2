"""Finishing the shortlist: refine, full decode, face fix, face detail, Real-ESRGAN, sharpen,
rescore, save.

Face detail (off unless the pack's ``face_detail`` strength is above 0) restores the faces of
the refined 1024 px image *before* Real-ESRGAN: there the face spans about the 512 px the
restoration model works at (after x4 it would be downscaled into the model and detail lost),
detection runs on a sixteenth of the pixels, and Real-ESRGAN then enlarges the restored face
with the rest of the picture. The image before face detail is kept for the review.

The face fix (off unless the pack's ``face_fix`` is ``"inpaint"``) comes first, on the same
1024 px image: the seed's local fix (:mod:`studio.pipelines.canvas.local_fix`), a few LCM
inpainting steps on each face crop with the style's prompt, through Canvas fill's warm SDXL
inpainting pipeline. The review's "before" image is then the refined image before both.

The GPU part of each image (img2img refine, VAE decode, Real-ESRGAN) runs on the calling
thread; the CPU part (unsharp mask, dlib rescoring, JPEG q97 write) runs on
:class:`overlap.Tail` threads while the GPU goes on with the next image.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numpy as np

from studio.core.progress import null_progress
from studio.pipelines.canvas.face_detail import RESTOREFORMER_ID as FACE_DETAIL_ID
from studio.pipelines.context import RunContext
from studio.pipelines.headshots import generate, overlap, packs, quality

UPSCALER_ID = "realesrgan-x4plus"
FACE_FIX_METHODS = ("", "inpaint")  # "": off
SCORE_SIDE = 512
_DLIB_LOCK = threading.Lock()


def score_image(
    dlib_scorer: quality.FaceScorer, rgb: np.ndarray, descriptor: np.ndarray
) -> tuple[bool, float, float]:
    """(face found, identity score, sharpness of the face) for one generated image.

    Scored at most 512 px wide: headshot faces stay well above dlib's 80 px minimum there,
    and HOG detection costs per pixel (4x less than at 1024^2)."""
    if max(rgb.shape[:2]) > SCORE_SIDE:
        import cv2

        f = SCORE_SIDE / max(rgb.shape[:2])
        rgb = cv2.resize(
            rgb, (round(rgb.shape[1] * f), round(rgb.shape[0] * f)), interpolation=cv2.INTER_AREA
        )
    # dlib's detector and network keep state per call: one thread at a time uses a scorer
    # (the tails run the resize, Tenengrad, sharpening and JPEG work side by side).
    with _DLIB_LOCK:
        face = dlib_scorer.largest(rgb)
        if face is not None:
            chip = dlib_scorer.chip(rgb, face)
            found = dlib_scorer.descriptor(rgb, face)
    if face is None:
        return False, 0.0, quality.tenengrad(rgb)
    return True, quality.identity_score(descriptor, found), quality.tenengrad(chip)


def preview(rgb: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(rgb)


def finish_images(
    session: Any,
    items: list[packs.PackImage],
    on_done: Any = None,
    tail: overlap.Tail | None = None,
) -> None:
    """Refine drafts together (img2img on their latents, one batch), then per image: full
    VAE decode and Real-ESRGAN on the GPU; sharpening, rescoring and the JPEG write run on
    ``tail``'s threads (a private one, finished here, when none is given) while the GPU goes
    on with the next image. ``on_done(item, rgb)`` is called in order on this thread."""
    import torch

    own = tail is None
    tail = tail or overlap.Tail(overlap.default_workers())
    s, ctx = session.settings, session.ctx
    try:
        start = torch.cat(
            [
                torch.from_numpy(packs.read_latent(session.pack.path(im.latent)))[None]
                for im in items
            ]
        )
        latents = session.sample(
            [im.index for im in items],
            [im.seed + 7919 for im in items],
            steps=int(s["refine_steps"]),
            start=start,
            strength=float(s["refine_strength"]),
            on_step=lambda *_: tail.report(),
        )
        for item, latent in zip(items, latents, strict=False):
            ctx.check()
            rgb = generate.decode_full(session.models, latent[None], ctx.low_memory)[0]
            before = None
            if s.get("face_fix"):
                before = rgb
                lean = session.plan.name != "resident"
                rgb = face_fix(rgb, ctx, session.pack, item.seed + 104729, int(s["size"]), lean)
            if float(s.get("face_detail", 0) or 0) > 0:
                before = rgb if before is None else before
                rgb = face_detail(rgb, ctx, float(s["face_detail"]))
            if s.get("upscale"):
                rgb = esrgan(rgb, ctx, tiled=session.plan.tiled_upscale)
            tail.submit(
                _finish_one,
                session,
                item,
                rgb,
                bool(s.get("upscale")),
                before,
                on_done=None if on_done is None else lambda r: on_done(*r),
            )
            tail.report()
        if own:
            tail.finish()
    finally:
        if own:
            tail.close()


def _finish_one(
    session: Any,
    item: packs.PackImage,
    rgb: np.ndarray,
    upscaled: bool,
    before: np.ndarray | None = None,
) -> tuple[packs.PackImage, np.ndarray]:
    """The CPU part of finishing one image (runs on a tail thread)."""
    before_rel = ""
    if before is not None:
        before_rel = f"before_face_detail/{item.index:03d}.jpg"
        packs.write_image(before, session.pack.path(before_rel), quality=95)
    if upscaled:
        rgb = sharpen(rgb)
    _found, score, _sharp = score_image(session.scorer, rgb, session.identity.descriptor)
    # JPEG q97, not PNG: a 4096^2 PNG takes 1-7 s to encode, longer than refining it.
    final = f"final/{item.index:03d}.jpg"
    packs.write_image(rgb, session.pack.path(final), quality=97)
    with session.lock:
        item.final_id_score, item.final = score, final
        item.before_face_detail = before_rel
        session.pack.save()
    return item, rgb


def face_detail(rgb: np.ndarray, ctx: RunContext, strength: float) -> np.ndarray:
    """The canvas face detail on one refined portrait (its progress kept quiet)."""
    from studio.pipelines.canvas.face_detail import FaceDetailRequest
    from studio.pipelines.canvas.face_detail import run as run_face_detail

    quiet = dataclasses.replace(ctx, progress=null_progress)
    return run_face_detail(
        FaceDetailRequest(image=rgb, strength=strength, model=FACE_DETAIL_ID), quiet
    ).image


def face_fix_models(request: Any) -> list[str]:
    """The models the pack's face fix needs (none when it is off or nothing is refined);
    :class:`BadInput` for a method that does not exist."""
    from studio.core.errors import BadInput
    from studio.pipelines.canvas.fill import LCM_LORA_ID, SDXL_INPAINT_ID

    method = getattr(request, "face_fix", "")
    if method not in FACE_FIX_METHODS:
        raise BadInput(f"The face fix must be 'inpaint' or off (got {method!r}).")
    return [SDXL_INPAINT_ID, LCM_LORA_ID] if method and request.refine_top_k else []


def face_fix(
    rgb: np.ndarray, ctx: RunContext, pack: Any, seed: int, size: int, lean: bool = False
) -> np.ndarray:
    """The local face fix on one refined portrait with the style's prompt (progress kept
    quiet; cancellable between faces and steps). A face crop smaller than the pack's size is
    drawn at that size (SDXL's own 1024 px for real packs).

    ``lean``: the pack itself runs under a leaner plan than resident. Canvas fill's automatic
    plan counts the memory the headshot models hold as free (they are evictable cache), but
    the pack's session keeps them; low-memory mode makes fill take one plan leaner."""
    from studio.pipelines.canvas.local_fix import LocalFixRequest
    from studio.pipelines.canvas.local_fix import run as run_local_fix

    quiet = dataclasses.replace(ctx, progress=null_progress, low_memory=ctx.low_memory or lean)
    request = LocalFixRequest(
        image=rgb,
        prompt=pack.prompt,
        negative_prompt=pack.negative_prompt,
        seed=seed % 2**31,
        work_side=max(64, min(1024, size)),
    )
    return np.asarray(run_local_fix(request, quiet).image)


def esrgan(rgb: np.ndarray, ctx: RunContext, tiled: bool = False) -> np.ndarray:
    """Real-ESRGAN x4 through the canvas upscaler (the GPU part of :func:`upscale`)."""
    from studio.pipelines.canvas.upscale import UpscaleRequest
    from studio.pipelines.canvas.upscale import run as run_upscale

    if ctx.is_cuda:
        import torch

        from studio.pipelines.canvas.spandrel_models import load_spandrel
        from studio.pipelines.canvas.upscale import ESRGAN_FILE

        # NHWC: cuDNN's fp16 convolutions run natively in it (same arithmetic). The warm
        # model is shared with the canvas upscaler, which takes either layout.
        desc = load_spandrel(ctx, UPSCALER_ID, ESRGAN_FILE, "ESRGAN")
        if not getattr(desc, "studio_nhwc", False):
            desc.model.to(memory_format=torch.channels_last)
            desc.studio_nhwc = True
    quiet = dataclasses.replace(ctx, progress=null_progress)
    return run_upscale(
        UpscaleRequest(image=rgb, tile=256 if tiled or ctx.low_memory else 0), quiet
    ).image


def sharpen(rgb: np.ndarray) -> np.ndarray:
    """The light unsharp mask applied after Real-ESRGAN (CPU, Pillow)."""
    from PIL import Image, ImageFilter

    sharp = Image.fromarray(rgb).filter(ImageFilter.UnsharpMask(radius=2, percent=40, threshold=3))
    return np.asarray(sharp)


def upscale(rgb: np.ndarray, ctx: RunContext) -> np.ndarray:
    """Real-ESRGAN x4 through the canvas upscaler, then a light unsharp mask."""
    return sharpen(esrgan(rgb, ctx))


def run_refine(session: Any) -> None:
    k = int(session.settings["refine_top_k"])
    shortlist = session.pack.ranked()[:k]
    todo = [im for im in shortlist if not im.final]
    done = len(shortlist) - len(todo)
    ctx = session.ctx
    ctx.progress("Refining", done, len(shortlist))
    batch = 1 if ctx.low_memory else session.plan.batch(session.request.batch_size)

    def finished(item: packs.PackImage, rgb: np.ndarray) -> None:
        nonlocal done
        done += 1
        ctx.progress("Refining", done, len(shortlist), preview(rgb))

    # One tail across the batches: the last images of a batch are sharpened, scored and
    # written while the next batch is refined.
    with overlap.Tail(overlap.default_workers()) as tail:
        for start in range(0, len(todo), batch):
            ctx.check()
            finish_images(session, todo[start : start + batch], finished, tail)
        tail.finish()
