"""Local fix: each detected face repainted by a few LCM inpainting steps, pasted back softly.

The seed's headshot stack fixed faces this way after generation, and Face detail offers it as
its ``"inpaint"`` method next to restoration. Per face: a square crop around the face box with
``margin`` of context (a multiple of 64 px where the image leaves room), an elliptical mask of
the face, feathered; SDXL inpainting with LCM-LoRA (:mod:`studio.pipelines.canvas.fill`, the
same warm pipeline as Canvas fill, so nothing is loaded twice) repaints the masked face at
``strength`` in a few steps *at the crop's native resolution*: a crop smaller than
``work_side`` is upscaled to it (SDXL draws poorly below about 1024 px), a larger one runs as
it is (up to ``max_side``, beyond which it is scaled down to bound memory). The result is
scaled back and blended in under the feathered mask: pixels outside every face's mask keep
their exact values.

Faces only: hands are not detected. The one real candidate, MediaPipe's hand landmarker
(Apache-2.0 code and model card), needs its own model download in the store and a photo of
real hands to test against; it is left for later (the boxes below are all it would feed).
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.core.errors import BadInput
from studio.pipelines.canvas.fill import LCM_LORA_ID, SDXL_INPAINT_ID
from studio.pipelines.context import RunContext

DEFAULT_PROMPT = "a detailed photo of a face, sharp focus, natural skin texture"
STAGE = "Fixing faces"
MULTIPLE = 64  # crop sides are rounded to this (SDXL's latent multiple, 8 x 8)
MAX_SIDE = 2048  # a larger crop is scaled down into SDXL: memory grows with the square


@dataclass
class LocalFixRequest:
    image: Any  # PIL image or HxWx3 (or x4) uint8 array
    prompt: str = DEFAULT_PROMPT  # e.g. the headshot style's prompt
    negative_prompt: str = ""
    strength: float = 0.4  # denoising strength: 0.3-0.5 keeps the face, fixes its detail
    steps: int = 8  # LCM schedule length; about strength x steps of them run
    guidance: float = 1.0
    seed: int | None = None  # None = random; face i uses seed + i
    max_faces: int = 8  # the largest faces first
    min_face_px: int = 24  # faces smaller than this (box side) are left alone
    margin: float = 0.6  # context per side of the face box, in box sides
    feather: float = 0.1  # mask feather, in face box sides
    work_side: int = 1024  # crops smaller than this are upscaled to it
    max_side: int = MAX_SIDE  # crops larger than this are scaled down to it
    model: str = SDXL_INPAINT_ID


@dataclass
class LocalFixResult:
    image: Any  # same shape as the input, uint8
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # faces fixed
    crops: list[tuple[int, int, int, int]] = field(default_factory=list)  # their square crops
    message: str | None = None  # set when nothing was changed (no face)
    settings: dict[str, Any] = field(default_factory=dict)


def check(request: LocalFixRequest) -> None:
    """Refuse bad values before any model loads."""
    from studio.pipelines import prompt_filter
    from studio.pipelines.canvas import masks

    s = request.strength
    if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 <= s <= 1:
        raise BadInput(f"The face fix strength must be 0 to 1 (got {s!r}).")
    if not 2 <= request.steps <= 12:
        raise BadInput(f"The face fix uses 2 to 12 LCM steps (got {request.steps!r}).")
    n = request.max_faces
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 64:
        raise BadInput(f"The number of faces must be 1 to 64 (got {n!r}).")
    if not 0.1 <= request.margin <= 2:
        raise BadInput(f"The face fix margin must be 0.1 to 2 face sides (got {request.margin}).")
    if not 0.02 <= request.feather <= 0.3:
        raise BadInput(f"The face fix feather must be 0.02 to 0.3 (got {request.feather}).")
    masks.check_side(request.work_side, "working size")
    masks.check_side(request.max_side, "largest working size")
    if request.seed is not None and not 0 <= int(request.seed) <= masks.MAX_SEED - 64:
        raise BadInput(f"The seed must be between 0 and {masks.MAX_SEED - 64}.")
    if not request.prompt.strip():
        raise BadInput("Describe the face to paint (or leave the default prompt).")
    prompt_filter.check_prompt(request.prompt, "Describe the face differently.")


def run(request: LocalFixRequest, ctx: RunContext) -> LocalFixResult:
    """Repaint the faces of ``request.image``; one progress step per face, cancellable
    between faces (and between the steps of each)."""
    from studio.core.imageio import to_array
    from studio.pipelines.canvas.face_detail import NO_FACE, _alpha, _box, _with_alpha, detect
    from studio.pipelines.faces import DEFAULT_PACK

    check(request)
    # One message naming every missing model (detector, SDXL inpainting, LCM-LoRA) at once.
    ctx.store.require_all(DEFAULT_PACK, request.model, LCM_LORA_ID)
    arr = np.ascontiguousarray(to_array(request.image))
    alpha = _alpha(request.image)
    rgb = np.ascontiguousarray(arr[:, :, :3])
    seed = secrets.randbelow(2**31) if request.seed is None else int(request.seed)
    settings = {
        "method": "inpaint",
        "prompt": request.prompt,
        "strength": request.strength,
        "steps": request.steps,
        "seed": seed,
        "model": request.model,
    }
    ctx.progress("Finding faces", 0, 1)
    faces = [f for f in detect(ctx, rgb) if max(f.width, f.height) >= request.min_face_px][
        : request.max_faces
    ]
    if not faces:
        return LocalFixResult(image=_with_alpha(rgb, alpha), message=NO_FACE, settings=settings)
    boxes = [_box(f.bbox, rgb.shape) for f in faces]
    crops = [square_crop(b, rgb.shape, request.margin) for b in boxes]
    if request.strength == 0:  # nothing would change: skip the model
        result = _with_alpha(rgb, alpha)
        return LocalFixResult(image=result, boxes=boxes, crops=crops, settings=settings)
    out = rgb.copy()
    inner = _quiet_steps(ctx)
    ctx.progress(STAGE, 0, len(faces))
    for i, (box, crop) in enumerate(zip(boxes, crops, strict=True)):
        ctx.check()
        out = fix_one(out, box, crop, request, seed + i, inner)
        ctx.progress(STAGE, i + 1, len(faces))
    return LocalFixResult(
        image=_with_alpha(out, alpha), boxes=boxes, crops=crops, settings=settings
    )


def square_crop(
    box: tuple[int, int, int, int], shape: tuple[int, ...], margin: float
) -> tuple[int, int, int, int]:
    """A square ``(x0, y0, x1, y1)`` around ``box`` with ``margin`` box sides of context per
    side, its side rounded up to a multiple of 64, moved (not cut) to stay inside the image;
    only an image smaller than that square cuts it to the image's shorter side."""
    h, w = shape[:2]
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0)
    want = int(np.ceil(side * (1 + 2 * margin) / MULTIPLE)) * MULTIPLE
    size = min(want, w, h)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = int(min(max(0, round(cx - size / 2)), w - size))
    top = int(min(max(0, round(cy - size / 2)), h - size))
    return left, top, left + size, top + size


def face_alpha(
    box: tuple[int, int, int, int],
    crop: tuple[int, int, int, int],
    shape: tuple[int, ...],
    feather: float,
) -> np.ndarray:
    """uint8 blend weights over ``crop`` (of an image of ``shape``): 255 on an ellipse over
    the face box, fading to 0 over ``feather`` box sides around it (0 everywhere else)."""
    import cv2

    from studio.pipelines.canvas import compose
    from studio.pipelines.canvas.masks import MAX_FEATHER

    cx0, cy0, cx1, cy1 = crop
    x0, y0, x1, y1 = box
    hard = np.zeros((cy1 - cy0, cx1 - cx0), np.uint8)
    centre = (round((x0 + x1) / 2 - cx0), round((y0 + y1) / 2 - cy0))
    # The detector's box runs from the brows to the chin: the ellipse reaches a little past
    # it so the forehead and jaw line are repainted with the face.
    axes = (max(1, round((x1 - x0) * 0.55)), max(1, round((y1 - y0) * 0.6)))
    cv2.ellipse(hard, centre, axes, 0, 0, 360, 255, thickness=-1)
    px = min(MAX_FEATHER, max(2, round(max(x1 - x0, y1 - y0) * feather)))
    alpha = np.asarray(compose.blend_alpha(hard, px), np.float32)
    # Where a small margin (or an image edge pushing the crop) lets the feather reach a crop
    # side inside the image, fade it out to 0 over the last ``px`` pixels: no seam there.
    h, w = alpha.shape
    ramp = np.minimum(np.arange(max(h, w), dtype=np.float32) / px, 1.0)
    if cy0 > 0:
        alpha *= ramp[:h, None]
    if cy1 < shape[0]:
        alpha *= ramp[:h][::-1, None]
    if cx0 > 0:
        alpha *= ramp[None, :w]
    if cx1 < shape[1]:
        alpha *= ramp[None, :w][:, ::-1]
    return np.rint(alpha).astype(np.uint8)


def fix_one(
    rgb: np.ndarray,
    box: tuple[int, int, int, int],
    crop: tuple[int, int, int, int],
    request: LocalFixRequest,
    seed: int,
    ctx: RunContext,
) -> np.ndarray:
    """``rgb`` with the face at ``box`` repainted inside ``crop``; pixels where the face's
    blend weight is 0 (everything outside the crop, most of it inside) are ``rgb``'s."""
    from studio.pipelines.canvas import compose
    from studio.pipelines.canvas.fill import FillRequest
    from studio.pipelines.canvas.fill import run as fill

    x0, y0, x1, y1 = crop
    window = compose.Window(0, 0, x1 - x0, y1 - y0)
    patch_in = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    alpha = face_alpha(box, crop, rgb.shape, request.feather)
    side = max(window.width, window.height)
    filled = fill(
        FillRequest(
            image=patch_in,
            mask=alpha,  # fill repaints every pixel the feathered mask touches ...
            prompt=request.prompt,
            negative_prompt=request.negative_prompt,
            steps=request.steps,
            strength=request.strength,
            guidance=request.guidance,
            seed=seed,
            fast=True,
            feather_px=0,
            margin=4.0,  # the whole crop is the window (the mask spans a third of it or more)
            # native size: small crops up to work_side, large ones as they are (<= max_side)
            work_side=min(max(side, request.work_side), request.max_side),
            model=request.model,
        ),
        ctx,
    ).images[0]
    # ... and it is blended in here with the soft weights, so the edge fades out.
    out = rgb.copy()
    out[y0:y1, x0:x1] = compose.paste_back(patch_in, filled, window, alpha)
    return out


def _quiet_steps(ctx: RunContext) -> RunContext:
    """``ctx`` whose progress shows model loading only: the faces are the steps reported.
    A shallow copy: the cache, the cancel token and the executor's memory plan are shared."""
    outer = ctx.progress

    def report(name: str, done: int, total: int, preview: Any = None) -> None:
        if name.startswith("Loading"):
            outer(name, done, total, preview)

    inner = copy.copy(ctx)
    inner.progress = report  # type: ignore[assignment]
    return inner
