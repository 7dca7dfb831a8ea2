"""Headshot packs on disk: saved as they are generated, reloadable, exportable.

Layout of one pack folder::

    pack.json            manifest (settings, selfies, models, every image with its scores)
    selfies/0.jpg        aligned face crops of the accepted selfies
    drafts/007.jpg       each draft (tiny-VAE decode) as soon as it is finished
    latents/007.npy      its final latents (fp16), for refine and resume
    final/007.jpg        refined (full VAE) and, if asked, upscaled images (JPEG q97)
    before_face_detail/007.jpg  with face detail on: the refined image before it (not
                         upscaled), for the review's before/after

The manifest is rewritten atomically after every image, so a crash, a cancel or running out
of GPU memory leaves a consistent pack that a later run resumes.

Paths read from a manifest are relative to the pack and must stay inside it: an edited or
damaged ``pack.json`` naming ``../`` or an absolute path is refused, never read or deleted.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput

MANIFEST = "pack.json"
FORMATS = {"jpeg": ".jpg", "jpg": ".jpg", "webp": ".webp"}


@dataclass
class PackImage:
    index: int
    seed: int
    draft: str  # relative path
    latent: str
    id_score: float = 0.0
    sharpness: float = 0.0
    face_found: bool = False
    duplicate_of: int = -1
    flags: list[str] = field(default_factory=list)  # "low-identity", "blurred", "duplicate", ...
    final: str = ""  # refined (and upscaled) image, relative path
    final_id_score: float | None = None
    before_face_detail: str = ""  # the refined image before face detail (relative path)

    @property
    def hidden(self) -> bool:
        """Flagged images are hidden by default in the review."""
        return bool(self.flags)

    @property
    def rank_key(self) -> tuple[int, float]:
        return (0 if not self.flags else 1, -(self.id_score + 0.05 * min(self.sharpness / 1000, 1)))


@dataclass
class Pack:
    folder: Path
    style: str
    prompt: str
    negative_prompt: str
    settings: dict[str, Any]
    models: dict[str, str]
    selfies: list[dict[str, Any]]
    identity: dict[str, Any] = field(default_factory=dict)  # embedding, descriptor, kps, bbox
    created: float = field(default_factory=time.time)
    images: list[PackImage] = field(default_factory=list)
    complete: bool = False

    def ranked(self) -> list[PackImage]:
        """Best first: unflagged before flagged, then by identity (sharpness breaks ties)."""
        return sorted(self.images, key=lambda im: im.rank_key)

    def image(self, index: int) -> PackImage:
        for im in self.images:
            if im.index == index:
                return im
        raise BadInput(f"The pack has no image {index}.")

    def path(self, rel: str) -> Path:
        """``rel`` (from the manifest) inside the pack folder; BadInput if it leads outside."""
        return inside(self.folder, rel)

    def save(self) -> None:
        from studio.core.outputs import write_text_atomic

        data = {k: v for k, v in asdict(self).items() if k != "folder"}
        write_text_atomic(self.folder / MANIFEST, json.dumps(data, indent=1))


def inside(folder: Path, rel: str) -> Path:
    """``folder / rel`` when ``rel`` is a relative path that stays inside ``folder`` (links
    resolved); otherwise :class:`BadInput` (the manifest was edited or is damaged)."""
    problem = BadInput(
        f"The pack in {folder} names a file outside its folder ({rel!r}); "
        "its pack.json was edited or is damaged."
    )
    if not isinstance(rel, str) or not rel:
        raise problem
    part = Path(rel)
    if part.is_absolute() or part.drive or ".." in part.parts:
        raise problem
    full = folder / part
    try:
        if not full.resolve().is_relative_to(folder.resolve()):
            raise problem
    except (OSError, RuntimeError):  # a link loop
        raise problem from None
    return full


def _check_paths(pack: Pack) -> None:
    for im in pack.images:
        extra = tuple(r for r in (im.final, im.before_face_detail) if r)
        for rel in (im.draft, im.latent) + extra:
            pack.path(rel)
    for selfie in pack.selfies:
        if isinstance(selfie, dict) and "crop" in selfie:
            pack.path(selfie["crop"])


def load_pack(folder: Path | str) -> Pack:
    """A saved pack; BadInput if the folder holds none."""
    folder = Path(folder)
    try:
        raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"No headshot pack in {folder}.", str(exc)) from exc
    try:
        images = [PackImage(**im) for im in raw.pop("images", [])]
        pack = Pack(folder=folder, images=images, **raw)
    except (TypeError, AttributeError) as exc:
        raise BadInput(f"The headshot pack in {folder} is damaged.", repr(exc)) from exc
    _check_paths(pack)
    return pack


def list_packs(root: Path | str) -> list[Pack]:
    """Packs under ``root`` (one folder each), newest first; unreadable ones are skipped."""
    root = Path(root)
    packs = []
    for manifest in sorted(root.glob(f"*/{MANIFEST}")):
        try:
            packs.append(load_pack(manifest.parent))
        except BadInput:
            continue
    return sorted(packs, key=lambda p: p.created, reverse=True)


def _disk_error(exc: OSError, target: Path) -> BadInput:
    from studio.core.outputs import write_error

    return write_error(exc, target)


def write_image(
    image: np.ndarray, path: Path, quality: int = 92, exif: bytes | None = None
) -> Path:
    """Save an RGB array (format by extension) atomically; BadInput on a full disk."""
    from PIL import Image

    from studio.core.outputs import atomic_path

    fmt = {".jpg": "JPEG", ".webp": "WEBP", ".png": "PNG"}[path.suffix.lower()]
    kwargs: dict[str, Any] = {"quality": quality} if fmt != "PNG" else {}
    if exif is not None:
        kwargs["exif"] = exif
    with atomic_path(path) as tmp:  # an OSError becomes BadInput, the temporary file goes
        Image.fromarray(np.asarray(image, dtype=np.uint8)).save(tmp, fmt, **kwargs)
    return path


def write_latent(latent: Any, path: Path) -> None:
    from studio.core.outputs import atomic_path

    with atomic_path(path, suffix=".part.npy") as tmp:  # np.save keeps a .npy name as it is
        np.save(tmp, latent.detach().float().cpu().numpy().astype(np.float16))


def read_latent(path: Path) -> np.ndarray:
    return np.load(path).astype(np.float32)


def image_metadata(pack: Pack, image: PackImage) -> dict[str, Any]:
    """What travels with an exported image: seed, prompt, models, scores."""
    return {
        "generator": "Studio headshots",
        "seed": image.seed,
        "style": pack.style,
        "prompt": pack.prompt,
        "negative_prompt": pack.negative_prompt,
        "models": pack.models,
        "settings": pack.settings,
        "scores": {
            "id_score": image.id_score,
            "final_id_score": image.final_id_score,
            "sharpness": image.sharpness,
            "duplicate_of": image.duplicate_of,
            "flags": image.flags,
        },
        "index": image.index,
    }


def _exif(meta: dict[str, Any]) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010E] = json.dumps(meta)  # ImageDescription
    exif[0x0131] = "Studio headshots"  # Software
    return exif.tobytes()


def export_images(
    pack: Pack, indices: list[int], folder: Path | str, fmt: str = "jpeg", quality: int = 95
) -> list[Path]:
    """Chosen images (final if refined, else draft) with embedded metadata + JSON sidecars.

    Files are numbered as people count, like the app's "#1": image index 0 is
    ``headshot_001``."""
    from studio.core.imageio import load_image
    from studio.core.outputs import write_text_atomic

    ext = FORMATS.get(fmt.lower())
    if ext is None:
        raise BadInput(f"Unknown export format '{fmt}'. Use JPEG or WebP.")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _disk_error(exc, folder) from exc
    written = []
    for index in indices:
        item = pack.image(index)
        source = pack.path(item.final or item.draft)
        pixels = np.asarray(load_image(source))
        meta = image_metadata(pack, item)
        target = folder / f"headshot_{index + 1:03d}{ext}"
        write_image(pixels, target, quality=quality, exif=_exif(meta))
        try:
            write_text_atomic(target.with_suffix(".json"), json.dumps(meta, indent=1))
        except BadInput:
            target.unlink(missing_ok=True)
            raise
        written.append(target)
    return written


def read_embedded_metadata(path: Path | str) -> dict[str, Any]:
    """The JSON metadata embedded in an exported JPEG/WebP."""
    from PIL import Image

    with Image.open(path) as img:
        return json.loads(img.getexif()[0x010E])
