"""Face detail: restore each detected face with a face restoration model, pasted back softly.

Faces are found with the shared SCRFD detector (:mod:`studio.pipelines.faces`), aligned to
the FFHQ five-point template at 512 px (the crop the restoration models were trained on),
restored by a spandrel model (RestoreFormer by default; GFPGAN v1.4 also works), blended
with the crop at ``strength`` and warped back under a feathered mask. Pixels outside every
face's mask keep their exact values; with no face the image is returned unchanged, with a
message (not an error). The model is small (~300 MB) and stays resident between calls.

``method="inpaint"`` repaints each face instead with a few LCM inpainting steps on a crop at
its native resolution (:mod:`studio.pipelines.canvas.local_fix`, the SDXL inpainting model
and LCM-LoRA of Canvas fill); ``strength`` is then the denoising strength.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.core.errors import BadInput
from studio.pipelines.canvas.spandrel_models import load_spandrel, to_tensor, to_uint8
from studio.pipelines.context import RunContext

RESTOREFORMER_ID = "restoreformer"
GFPGAN_ID = "gfpgan-v1.4"
# Catalogue id -> (file in the store, spandrel architecture id).
FACE_MODELS: dict[str, tuple[str, str]] = {
    RESTOREFORMER_ID: ("RestoreFormer.pth", "RestoreFormer"),
    GFPGAN_ID: ("GFPGANv1.4.pth", "GFPGAN"),
}
CROP = 512
# facexlib's FFHQ 512 px template (eyes, nose, mouth corners): where GFPGAN/RestoreFormer
# expect the five keypoints of an aligned face.
FFHQ_TEMPLATE = np.array(
    [
        [192.98138, 239.94708],
        [318.90277, 240.19366],
        [256.63416, 314.01935],
        [201.26117, 371.41043],
        [313.08905, 371.15118],
    ],
    dtype=np.float32,
)
NO_FACE = "No face was found; the image is unchanged."
METHODS = ("restore", "inpaint")
# Default strength per method: the restored face's weight, the inpainting's denoising.
DEFAULT_STRENGTH = {"restore": 0.7, "inpaint": 0.4}


@dataclass
class FaceDetailRequest:
    image: Any  # PIL image or HxWx3 (or x4) uint8 array
    # restore: 0 unchanged, 1 the restored face only; inpaint: the denoising strength.
    # None: the method's default (DEFAULT_STRENGTH).
    strength: float | None = None
    max_faces: int = 8  # the largest faces first
    min_face_px: int = 24  # faces smaller than this (box side) are left alone
    feather: float = 0.06  # mask feather, as a fraction of the aligned crop (restore)
    model: str = RESTOREFORMER_ID  # the restoration model (restore)
    method: str = "restore"  # "restore" (a restoration model) or "inpaint" (LCM inpainting)
    prompt: str = ""  # inpaint: what the faces should look like ("" = a generic detailed face)
    seed: int | None = None  # inpaint: None = random
    work_side: int = 1024  # inpaint: smaller face crops are upscaled to this for SDXL


@dataclass
class FaceDetailResult:
    image: Any  # same shape as the input, uint8
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # faces restored
    message: str | None = None  # set when nothing was changed (no face)
    settings: dict[str, Any] = field(default_factory=dict)


def run(request: FaceDetailRequest, ctx: RunContext) -> FaceDetailResult:
    """Restore the faces of ``request.image``; one progress step per face, cancellable
    between faces."""
    from studio.core.imageio import to_array

    _check(request)
    if request.method == "inpaint":
        return _inpaint(request, ctx)
    strength = _strength(request)
    arr = np.ascontiguousarray(to_array(request.image))
    alpha = _alpha(request.image)
    rgb = np.ascontiguousarray(arr[:, :, :3])
    settings = {"method": "restore", "strength": strength, "model": request.model}
    ctx.progress("Finding faces", 0, 1)
    faces = [f for f in detect(ctx, rgb) if max(f.width, f.height) >= request.min_face_px][
        : request.max_faces
    ]
    if not faces:
        return FaceDetailResult(image=_with_alpha(rgb, alpha), message=NO_FACE, settings=settings)
    boxes = [_box(f.bbox, rgb.shape) for f in faces]
    if strength == 0:  # nothing would change: skip the model
        return FaceDetailResult(image=_with_alpha(rgb, alpha), boxes=boxes, settings=settings)
    desc = load_face_model(ctx, request.model)
    out = rgb.copy()
    ctx.progress("Face detail", 0, len(faces))
    for i, face in enumerate(faces):
        ctx.check()
        out = restore_face(desc, out, face.kps, strength, request.feather, ctx)
        ctx.progress("Face detail", i + 1, len(faces))
    return FaceDetailResult(image=_with_alpha(out, alpha), boxes=boxes, settings=settings)


def _strength(request: FaceDetailRequest) -> float:
    s = request.strength
    return DEFAULT_STRENGTH[request.method] if s is None else float(s)


def _inpaint(request: FaceDetailRequest, ctx: RunContext) -> FaceDetailResult:
    """The local fix (:mod:`local_fix`) under face detail's request and result."""
    from studio.pipelines.canvas import local_fix

    fix = local_fix.run(
        local_fix.LocalFixRequest(
            image=request.image,
            prompt=request.prompt.strip() or local_fix.DEFAULT_PROMPT,
            strength=_strength(request),
            seed=request.seed,
            max_faces=request.max_faces,
            min_face_px=request.min_face_px,
            work_side=request.work_side,
        ),
        ctx,
    )
    return FaceDetailResult(
        image=fix.image, boxes=fix.boxes, message=fix.message, settings=fix.settings
    )


def detect(ctx: RunContext, rgb: np.ndarray) -> list[Any]:
    """The faces in ``rgb`` (largest first) with the resident SCRFD detector."""
    from studio.pipelines.faces import DEFAULT_PACK, detect_faces, load_face_analysis

    analysis = ctx.model(
        f"faces:{DEFAULT_PACK}:detection:{ctx.device}",
        lambda: load_face_analysis(ctx.store, ctx.device, modules=("detection",)),
    )
    return detect_faces(analysis, rgb, with_embedding=False)


def load_face_model(ctx: RunContext, model_id: str) -> Any:
    """The spandrel descriptor of a face restoration model (resident in the warm cache)."""
    if model_id not in FACE_MODELS:
        known = ", ".join(FACE_MODELS)
        raise BadInput(f"'{model_id}' is not a face restoration model (use one of: {known}).")
    import pickle
    import zipfile

    filename, arch = FACE_MODELS[model_id]
    try:
        return load_spandrel(ctx, model_id, filename, arch)
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile) as exc:
        # torch.load's errors for a truncated or foreign file (the shared loader lets
        # these through)
        name = ctx.store.catalogue.get(model_id).name
        raise BadInput(
            f"The weights of '{name}' could not be read; delete and download them "
            "again from the Models dialog.",
            str(exc),
        ) from exc


def restore_face(
    desc: Any, rgb: np.ndarray, kps: np.ndarray, strength: float, feather: float, ctx: Any
) -> np.ndarray:
    """``rgb`` with the face at ``kps`` restored; only pixels under the warped-back feathered
    mask change (everything else is the input, bit for bit)."""
    import cv2
    import torch

    matrix, _ = cv2.estimateAffinePartial2D(
        np.asarray(kps, dtype=np.float32), FFHQ_TEMPLATE, method=cv2.LMEDS
    )
    if matrix is None:
        return rgb
    crop = cv2.warpAffine(rgb, matrix, (CROP, CROP), borderMode=cv2.BORDER_REFLECT_101)
    dtype = next(desc.model.parameters()).dtype
    with torch.inference_mode():
        restored = to_uint8(desc(to_tensor(crop, ctx.device, dtype)))
    blended = crop.astype(np.float32) * (1 - strength) + restored.astype(np.float32) * strength
    inverse = cv2.invertAffineTransform(matrix)
    h, w = rgb.shape[:2]
    mask = cv2.warpAffine(feather_mask(CROP, feather), inverse, (w, h), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(mask > 1e-3)
    if ys.size == 0:
        return rgb
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    # Warp back only the face's bounding region: a 4K photo costs no full-size float copies.
    shift = inverse.copy()
    shift[:, 2] -= (x0, y0)
    face = cv2.warpAffine(blended, shift, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR)
    m = mask[y0:y1, x0:x1, None]
    region = rgb[y0:y1, x0:x1].astype(np.float32)
    mixed = np.clip(np.rint(region * (1 - m) + face * m), 0, 255).astype(np.uint8)
    out = rgb.copy()
    out[y0:y1, x0:x1] = np.where(m > 1e-3, mixed, rgb[y0:y1, x0:x1])
    return out


def feather_mask(size: int, feather: float) -> np.ndarray:
    """A ``size``-square float mask: 1 inside, fading to 0 over ``feather * size`` at the
    edges (the aligned crop's corners hold hair and background, kept from the original)."""
    import cv2

    band = max(2, int(round(size * feather)))
    mask = np.zeros((size, size), np.float32)
    mask[2 * band : size - 2 * band, 2 * band : size - 2 * band] = 1.0
    k = 2 * band + 1
    return cv2.GaussianBlur(mask, (k, k), band / 2)


def _box(bbox: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    x0, y0, x1, y1 = (int(round(float(v))) for v in bbox[:4])
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def _check(request: FaceDetailRequest) -> None:
    if request.method not in METHODS:
        raise BadInput(
            f"The face detail method must be one of {', '.join(METHODS)} (got {request.method!r})."
        )
    s = request.strength
    if s is not None and (
        isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 <= s <= 1
    ):
        raise BadInput(f"The face detail strength must be 0 to 1 (got {s!r}).")
    n = request.max_faces
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 64:
        raise BadInput(f"The number of faces must be 1 to 64 (got {n!r}).")
    if not 0 < request.feather <= 0.2:
        raise BadInput(f"The mask feather must be above 0 and at most 0.2 (got {request.feather}).")


def _alpha(image: Any) -> Any:
    if hasattr(image, "mode"):
        return np.array(image.getchannel("A")) if image.mode in ("RGBA", "LA") else None
    arr = np.asarray(image)
    return np.ascontiguousarray(arr[:, :, 3]) if arr.ndim == 3 and arr.shape[2] == 4 else None


def _with_alpha(rgb: np.ndarray, alpha: Any) -> np.ndarray:
    return rgb if alpha is None else np.dstack([rgb, alpha])
