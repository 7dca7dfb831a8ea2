"""Avatar preparation: find the face, frame it, encode the latents, build the blend mask; cached.

The cache folder is keyed by the image's bytes and every setting that changes the result, so
a prepared avatar is reused instantly, also after a restart. It is written to a temporary
folder and renamed into place, so an interrupted preparation never leaves a half cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.cachefiles import try_write_cache
from studio.core.errors import BadInput
from studio.pipelines.context import RunContext
from studio.pipelines.lipsync import models as lm

FRAME = 512  # output video size
CROP = 256  # MuseTalk's face crop
CACHE_VERSION = 2  # 2: eye positions for blinks
FRAME_MARGIN = 2.3  # frame side as a multiple of the face box: head and shoulders
UPPER_BOUNDARY = 0.5  # the blend mask only covers the crop below this fraction (mouth, chin)


@dataclass
class PrepareAvatarRequest:
    """``bbox_shift`` moves the face crop down (+) or up (-) in output pixels."""

    image: Path
    bbox_shift: int = 0
    cache_dir: Path | None = None


@dataclass
class PreparedAvatar:
    key: str
    folder: Path
    frame: np.ndarray  # (512, 512, 3) uint8 RGB
    box: tuple[int, int, int, int]  # face crop in frame pixels: x0, y0, x1, y1 (square)
    latents: np.ndarray  # (8, 32, 32) float32: masked + reference, VAE-scaled
    mask: np.ndarray  # (256, 256) float32 blend weights for the generated crop
    mask_source: str  # "face-parsing" or "geometric"
    from_cache: bool = False
    eyes: np.ndarray | None = None  # (2, 2) eye centres in frame pixels, for blinks


def default_cache_dir() -> Path:
    from studio.core.paths import cache_dir

    return cache_dir() / "lipsync" / "avatars"


def avatar_key(ctx: RunContext, image_bytes: bytes, bbox_shift: int) -> str:
    parser = "face-parsing" if ctx.store.is_installed(lm.PARSER_ID) else "geometric"
    settings = {"v": CACHE_VERSION, "shift": int(bbox_shift), "mask": parser}
    # Different installed weights give different latents: the manifests' hashes join the key.
    for model_id in (lm.VAE_ID, lm.PARSER_ID):
        if ctx.store.is_installed(model_id):
            settings[model_id] = ctx.store.manifest(model_id).get("sha256", {})
    digest = hashlib.sha256(image_bytes)
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def prepare_avatar(request: PrepareAvatarRequest, ctx: RunContext) -> PreparedAvatar:
    """Prepare (or load the cached preparation of) an avatar photo."""
    path = Path(request.image)
    if not path.is_file():
        raise BadInput(f"The avatar image '{path}' does not exist.")
    data = path.read_bytes()
    root = Path(request.cache_dir) if request.cache_dir else default_cache_dir()
    key = avatar_key(ctx, data, request.bbox_shift)
    folder = root / key
    if (folder / "meta.json").is_file():
        try:
            return _load(folder)
        except (OSError, ValueError, KeyError):
            shutil.rmtree(folder, ignore_errors=True)  # damaged cache: prepare again
    stages = 4
    ctx.progress("Preparing avatar", 0, stages)
    image = _decode_image(data, path.name)
    from studio.pipelines.lipsync.face import find_single_face

    face = find_single_face(ctx, image)
    ctx.check()
    frame, box, to_frame = _frame_and_box(image, face.box, request.bbox_shift)
    eyes = None if face.keypoints is None else to_frame(np.asarray(face.keypoints[:2], np.float32))
    crop = _resize(frame[box[1] : box[3], box[0] : box[2]], CROP)
    ctx.progress("Preparing avatar", 1, stages)
    latents = encode_latents(ctx, crop)
    ctx.check()
    ctx.progress("Preparing avatar", 2, stages)
    mask, source = blend_mask(ctx, crop)
    ctx.check()
    ctx.progress("Preparing avatar", 3, stages)
    avatar = PreparedAvatar(key, folder, frame, box, latents, mask, source, eyes=eyes)
    # The cache only saves time next run: a full or read-only cache disk must not fail the job.
    try_write_cache(lambda: _save(avatar, root), "lipsync avatar cache", root)
    ctx.progress("Preparing avatar", stages, stages)
    return avatar


def _decode_image(data: bytes, name: str) -> np.ndarray:
    from studio.core.imageio import load_image

    # the shared loader: format, size and decompression-bomb checks before decoding
    return np.asarray(load_image(data, name=name))


def _resize(img: np.ndarray, size: int) -> np.ndarray:
    import cv2

    shrink = img.shape[0] > size
    return cv2.resize(
        img, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    )


def _frame_and_box(
    image: np.ndarray, face: tuple[float, float, float, float], shift: int
) -> tuple[np.ndarray, tuple[int, int, int, int], Any]:
    """A square head-and-shoulders frame (edge-padded where the photo ends), the face crop,
    and a function mapping photo points (n, 2) to frame pixels."""
    import cv2

    x0, y0, x1, y1 = face
    side = FRAME_MARGIN * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + 0.1 * (y1 - y0)  # a little room below the chin
    fx, fy = int(round(cx - side / 2)), int(round(cy - side / 2))
    s = int(round(side))
    pad = max(0, -fx, -fy, fx + s - image.shape[1], fy + s - image.shape[0])
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else image
    frame = _resize(padded[fy + pad : fy + pad + s, fx + pad : fx + pad + s], FRAME)
    scale = FRAME / s
    bx0, by0, bx1, by1 = (
        (x0 - fx) * scale,
        (y0 - fy) * scale,
        (x1 - fx) * scale,
        (y1 - fy) * scale,
    )
    # MuseTalk 1.5 extends the crop below the chin; square it so the 256 crop is not stretched.
    by1 += 0.05 * (by1 - by0)
    half = max(bx1 - bx0, by1 - by0) / 2
    ccx, ccy = (bx0 + bx1) / 2, (by0 + by1) / 2 + shift
    half = min(half, ccx, ccy, FRAME - ccx, FRAME - ccy)
    if half < 16:
        raise BadInput("The face is too close to the edge of the image. Use a wider photo.")
    box = (
        int(ccx - half),
        int(ccy - half),
        int(ccx - half) + int(2 * half),
        int(ccy - half) + int(2 * half),
    )

    def to_frame(points: np.ndarray) -> np.ndarray:
        return ((points - np.array([fx, fy], np.float32)) * scale).astype(np.float32)

    return frame, box, to_frame


def encode_latents(ctx: RunContext, crop: np.ndarray) -> np.ndarray:
    """(8, 32, 32): the crop with its lower half blanked, then the whole crop (the reference)."""
    import torch

    vae = lm.load_vae(ctx)
    x = torch.from_numpy(crop).permute(2, 0, 1).float().div(127.5).sub(1.0)[None]
    masked = x.clone()
    masked[:, :, CROP // 2 :, :] = 0.0  # MuseTalk hides the mouth half from the UNet
    batch = torch.cat([masked, x]).to(ctx.device, ctx.dtype)
    with torch.inference_mode():
        # The distribution's mean, not a sample: the same photo always gives the same avatar.
        lat = vae.encode(batch).latent_dist.mode() * lm.VAE_SCALE
    return torch.cat([lat[0], lat[1]]).float().cpu().numpy()


def blend_mask(ctx: RunContext, crop: np.ndarray) -> tuple[np.ndarray, str]:
    """Soft mask of the lower face from face parsing, or a geometric one without the parser."""
    parser = lm.load_face_parser(ctx)
    mask = None
    if parser is not None:
        mask = _parsed_mask(ctx, parser, crop)
        # An almost empty parse (a profile, heavy shadow) would freeze the mouth: fall back.
        if mask.mean() < 0.02:
            mask = None
    source = "face-parsing" if mask is not None else "geometric"
    if mask is None:
        mask = geometric_mask()
    return _soften(mask), source


def _parsed_mask(ctx: RunContext, parser: object, crop: np.ndarray) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    from studio.pipelines.lipsync.bisenet import LOWER_FACE_CLASSES

    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = torch.from_numpy(crop).permute(2, 0, 1).float()[None] / 255.0
    x = F.interpolate((x - mean) / std, size=(512, 512), mode="bilinear", align_corners=False)
    with torch.inference_mode():
        labels = parser(x.to(ctx.device)).argmax(1)[0]  # type: ignore[operator]
    labels = F.interpolate(labels[None, None].float(), size=(CROP, CROP), mode="nearest")[0, 0]
    keep = torch.zeros_like(labels, dtype=torch.bool)
    for cls in LOWER_FACE_CLASSES:
        keep |= labels == cls
    mask = keep.float().cpu().numpy()
    mask[: int(CROP * UPPER_BOUNDARY)] = 0.0
    return mask


def geometric_mask() -> np.ndarray:
    """An ellipse over mouth and chin: used without the face-parsing model."""
    import cv2

    mask = np.zeros((CROP, CROP), np.float32)
    cv2.ellipse(
        mask,
        (CROP // 2, int(CROP * 0.72)),
        (int(CROP * 0.36), int(CROP * 0.26)),
        0,
        0,
        360,
        1.0,
        -1,
    )
    mask[: int(CROP * UPPER_BOUNDARY)] = 0.0
    return mask


def _soften(mask: np.ndarray) -> np.ndarray:
    import cv2

    # Shrink then blur so the seam falls inside the face, never on the background.
    mask = cv2.erode(mask, np.ones((9, 9), np.uint8))
    mask = cv2.GaussianBlur(mask, (0, 0), sigmaX=CROP * 0.04)
    # The UNet never saw the upper half: fade in below the boundary instead of bleeding above.
    top = int(CROP * UPPER_BOUNDARY)
    ramp = np.clip((np.arange(CROP, dtype=np.float32) - top) / 16.0, 0.0, 1.0)[:, None]
    return np.clip(mask * ramp, 0.0, 1.0).astype(np.float32)


def _save(avatar: PreparedAvatar, root: Path) -> None:
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        Image.fromarray(avatar.frame).save(tmp / "frame.png")
        np.save(tmp / "latents.npy", avatar.latents)
        np.save(tmp / "mask.npy", avatar.mask)
        meta = {
            "key": avatar.key,
            "box": list(avatar.box),
            "mask_source": avatar.mask_source,
            "version": CACHE_VERSION,
            "eyes": None if avatar.eyes is None else avatar.eyes.tolist(),
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        if avatar.folder.exists():
            shutil.rmtree(avatar.folder)
        os.replace(tmp, avatar.folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _load(folder: Path) -> PreparedAvatar:
    from PIL import Image

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    frame = np.asarray(Image.open(folder / "frame.png").convert("RGB"))
    box = tuple(int(v) for v in meta["box"])
    return PreparedAvatar(
        meta["key"],
        folder,
        frame,
        box,  # type: ignore[arg-type]
        np.load(folder / "latents.npy"),
        np.load(folder / "mask.npy"),
        meta["mask_source"],
        from_cache=True,
        eyes=None if meta.get("eyes") is None else np.asarray(meta["eyes"], np.float32),
    )
