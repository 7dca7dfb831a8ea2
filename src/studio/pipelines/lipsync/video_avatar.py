"""Video avatars: a short clip (MP4/MOV/WebM, up to 60 s) of a person instead of a photo.

Preparation, cached like a photo avatar's (keyed by the clip's bytes and the settings):

1. the clip is read at the render rate (25 fps, frames picked by time);
2. the face is found in every frame (the lipsync detector); one framing (head and
   shoulders around the median face box) holds for the whole clip so the picture does not
   shake, and the face crop follows the face, with the boxes smoothed over a few frames;
3. where the face pack has its recogniser, each frame's identity embedding is compared with
   the previous one: a sudden jump is a cut to another person, refused with the moment named;
4. per frame: the 256 crop's latents and the blend mask, as for a photo.

:func:`ping_pong` maps output frame ``k`` to a clip frame so the clip plays forward, then
backward, then forward again for as long as the speech lasts (no jump at the loop point).
"""

from __future__ import annotations

import json
import logging
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
from studio.pipelines.lipsync import avatar as photo
from studio.pipelines.lipsync import models as lm

log = logging.getLogger(__name__)

VIDEO_AVATAR_EXTENSIONS = (".mp4", ".mov", ".webm")
MAX_CLIP_SECONDS = 60.0
RATE = 25  # the render rate
CACHE_VERSION = 1
SMOOTH_FRAMES = 5  # boxes averaged over this many frames: detector jitter is not motion
# Cosine similarity of one frame's identity to the previous frame's below this: another person
# (the same person frame to frame scores far above it; different people far below).
SAME_PERSON = 0.5


@dataclass
class PrepareVideoAvatarRequest:
    video: Path
    bbox_shift: int = 0
    cache_dir: Path | None = None


@dataclass
class PreparedVideoAvatar:
    """Per clip frame (n of them, at 25 fps): frame, face crop box, latents, mask, eyes."""

    key: str
    folder: Path
    frames: np.ndarray  # (n, 512, 512, 3) uint8 RGB
    boxes: np.ndarray  # (n, 4) int: x0, y0, x1, y1 in frame pixels (square)
    latents: np.ndarray  # (n, 8, 32, 32) float32
    masks: np.ndarray  # (n, 256, 256) float32
    eyes: np.ndarray  # (n, 2, 2) float32 eye centres in frame pixels
    mask_source: str
    identity_checked: bool  # False where the face pack has no recogniser
    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.frames)

    def frame_for(self, k: int) -> int:
        """The clip frame shown at output frame ``k`` (forward-backward looping)."""
        return ping_pong(k, len(self.frames))


def is_video_avatar(path: str | Path) -> bool:
    """Whether ``path`` names a clip (by extension) rather than a photo."""
    return Path(path).suffix.lower() in VIDEO_AVATAR_EXTENSIONS


def ping_pong(k: int, n: int) -> int:
    """0, 1, ..., n-1, n-2, ..., 1, 0, 1, ...: the clip forward, then backward, repeated."""
    if n <= 1:
        return 0
    period = 2 * n - 2
    i = k % period
    return i if i < n else period - i


def read_clip(path: Path, rate: int = RATE) -> list[np.ndarray]:
    """The clip's frames resampled to ``rate`` by time (the frame shown at each instant)."""
    from studio.pipelines.live.video_source import clip_frames, clip_info

    info = clip_info(path)
    if info.duration_s > MAX_CLIP_SECONDS + 0.5:
        raise BadInput(
            f"The avatar clip is {info.duration_s:.0f} s long; use one of at most "
            f"{MAX_CLIP_SECONDS:.0f} s (a few seconds of a person looking at the camera is best)."
        )
    out: list[np.ndarray] = []
    for rgb, t in clip_frames(path):
        while len(out) <= t * rate + 1e-6:  # this frame is on screen from t on
            out.append(rgb)
    return out or [rgb]


def video_avatar_key(ctx: RunContext, data: bytes, bbox_shift: int) -> str:
    return "video-" + photo.avatar_key(ctx, data + f"|v{CACHE_VERSION}".encode(), bbox_shift)


def prepare_video_avatar(
    request: PrepareVideoAvatarRequest, ctx: RunContext
) -> PreparedVideoAvatar:
    """Prepare (or load the cached preparation of) a video avatar; see the module docstring."""
    path = Path(request.video)
    if not path.is_file():
        raise BadInput(f"The avatar clip '{path}' does not exist.")
    if not is_video_avatar(path):
        raise BadInput(f"An avatar clip must be MP4, MOV or WebM (got '{path.name}').")
    root = Path(request.cache_dir) if request.cache_dir else photo.default_cache_dir()
    key = video_avatar_key(ctx, path.read_bytes(), request.bbox_shift)
    folder = root / key
    if (folder / "meta.json").is_file():
        try:
            return _load(folder)
        except (OSError, ValueError, KeyError):
            shutil.rmtree(folder, ignore_errors=True)  # damaged cache: prepare again
    lm.require_models(ctx)  # one message naming every missing lipsync model, before any work
    clip = read_clip(path)
    total = len(clip)
    ctx.progress("Preparing video avatar", 0, total)
    faces, checked = _track(ctx, clip)
    boxes_src = _smooth(np.array([f.bbox for f in faces], np.float32))
    m = np.median(boxes_src, axis=0)
    median = (float(m[0]), float(m[1]), float(m[2]), float(m[3]))
    frames, boxes, eyes, latents, masks = [], [], [], [], []
    source = "geometric"
    for i, (rgb, face) in enumerate(zip(clip, faces, strict=True)):
        # one framing for the whole clip: the picture holds still, the crop follows the face
        frame, _, to_frame = photo._frame_and_box(rgb, median, 0)
        x0, y0 = to_frame(boxes_src[i, :2][None])[0]
        x1, y1 = to_frame(boxes_src[i, 2:][None])[0]
        box = _square_box(x0, y0, x1, y1, request.bbox_shift, i)
        crop = photo._resize(frame[box[1] : box[3], box[0] : box[2]], photo.CROP)
        latents.append(photo.encode_latents(ctx, crop))
        mask, source = photo.blend_mask(ctx, crop)
        frames.append(frame)
        boxes.append(box)
        masks.append(mask)
        eyes.append(to_frame(np.asarray(face.kps[:2], np.float32)))
        ctx.progress("Preparing video avatar", i + 1, total)
        ctx.check()
    avatar = PreparedVideoAvatar(
        key,
        folder,
        np.stack(frames),
        np.array(boxes, np.int32),
        np.stack(latents),
        np.stack(masks),
        np.stack(eyes).astype(np.float32),
        source,
        checked,
    )
    try_write_cache(lambda: _save(avatar, root), "lipsync video avatar cache", root)
    return avatar


def _track(ctx: RunContext, clip: list[np.ndarray]) -> tuple[list[Any], bool]:
    """The face in every frame, and whether identity was checked (see SAME_PERSON)."""
    from studio.pipelines.faces import cosine, detect_faces

    analysis, recognises = _face_analysis(ctx)
    faces = []
    previous = None
    for i, rgb in enumerate(clip):
        found = detect_faces(analysis, rgb, with_embedding=recognises)
        if not found:
            raise BadInput(
                f"No face was found at {i / RATE:.1f} s of the avatar clip. Use a clip where "
                "one face stays visible from start to end."
            )
        face = max(found, key=lambda f: f.score)
        if recognises and face.embedding is not None:
            if previous is not None and cosine(previous, face.embedding) < SAME_PERSON:
                raise BadInput(
                    f"The avatar clip cuts to another person at {i / RATE:.1f} s. Use a clip "
                    "of one person without cuts."
                )
            previous = face.embedding
        faces.append(face)
        ctx.check()
    return faces, recognises


def _face_analysis(ctx: RunContext) -> tuple[Any, bool]:
    """Detector and recogniser when the pack has both; otherwise the detector alone."""
    from studio.core.errors import StudioError
    from studio.pipelines.faces import DEFAULT_PACK, load_face_analysis
    from studio.pipelines.lipsync.face import load_detector

    try:
        analysis = ctx.model(
            f"faces:{DEFAULT_PACK}:detection+recognition:{ctx.device}",
            lambda: load_face_analysis(ctx.store, ctx.device),
        )
        return analysis, True
    except StudioError as exc:
        log.info("video avatar: no face recogniser, cuts are not checked: %s", exc.detail)
        return load_detector(ctx), False


def _smooth(boxes: np.ndarray) -> np.ndarray:
    if len(boxes) < 3:
        return boxes
    half = SMOOTH_FRAMES // 2
    padded = np.concatenate([boxes[:1].repeat(half, 0), boxes, boxes[-1:].repeat(half, 0)])
    kernel = np.ones(SMOOTH_FRAMES, np.float32) / SMOOTH_FRAMES
    return np.stack(
        [np.convolve(padded[:, c], kernel, mode="valid") for c in range(4)], axis=1
    ).astype(np.float32)


def _square_box(x0: float, y0: float, x1: float, y1: float, shift: int, index: int) -> tuple:
    """The square face crop in frame pixels, as the photo avatar makes it."""
    y1 += 0.05 * (y1 - y0)  # MuseTalk 1.5's crop reaches a little below the chin
    half = max(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + shift
    half = min(half, cx, cy, photo.FRAME - cx, photo.FRAME - cy)
    if half < 16:
        raise BadInput(
            f"The face leaves the picture at {index / RATE:.1f} s of the avatar clip. "
            "Use a clip where the face stays well inside the frame."
        )
    left, top = int(cx - half), int(cy - half)
    return (left, top, left + int(2 * half), top + int(2 * half))


def _save(avatar: PreparedVideoAvatar, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        for name in ("frames", "boxes", "latents", "masks", "eyes"):
            np.save(tmp / f"{name}.npy", getattr(avatar, name))
        meta = {
            "key": avatar.key,
            "version": CACHE_VERSION,
            "mask_source": avatar.mask_source,
            "identity_checked": avatar.identity_checked,
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        if avatar.folder.exists():
            shutil.rmtree(avatar.folder)
        os.replace(tmp, avatar.folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _load(folder: Path) -> PreparedVideoAvatar:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta.get("version") != CACHE_VERSION:
        raise ValueError("an older cache layout")
    arrays = {
        n: np.load(folder / f"{n}.npy") for n in ("frames", "boxes", "latents", "masks", "eyes")
    }
    return PreparedVideoAvatar(
        meta["key"],
        folder,
        mask_source=meta["mask_source"],
        identity_checked=bool(meta["identity_checked"]),
        from_cache=True,
        **arrays,
    )
