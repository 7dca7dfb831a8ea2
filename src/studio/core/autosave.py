"""Crash-safe autosave of the canvas (no Qt): image, mask, original and the edit log.

Files go to ``<data dir>/autosave/canvas/``. ``state.json`` is written last (under a temporary
name, then renamed), so a crash in the middle of a save leaves the previous complete snapshot
(or none) and never a half one. Saving encodes three PNGs: the Canvas calls these functions
on one background thread, one at a time.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core import paths

STATE = "state.json"


@dataclass
class Snapshot:
    image: Any  # HxWx3/4 uint8
    original: Any  # HxWx3/4 uint8
    mask: Any  # HxW uint8
    source_name: str = ""
    edits: list[dict[str, Any]] = field(default_factory=list)
    saved_at: float = 0.0


def autosave_dir() -> Path:
    return paths.data_dir() / "autosave" / "canvas"


def _write_png(arr: Any, path: Path) -> None:
    from PIL import Image

    tmp = path.with_name(path.name + ".part")
    Image.fromarray(arr).save(tmp, format="PNG", compress_level=1)  # fast: this runs often
    tmp.replace(path)


def save(snapshot: Snapshot, folder: Path | None = None) -> Path:
    folder = folder or autosave_dir()
    folder.mkdir(parents=True, exist_ok=True)
    state_path = folder / STATE
    state_path.unlink(missing_ok=True)  # the old state must not pair with new images
    _write_png(snapshot.image, folder / "image.png")
    _write_png(snapshot.original, folder / "original.png")
    _write_png(snapshot.mask, folder / "mask.png")
    state = {
        "source_name": snapshot.source_name,
        "edits": snapshot.edits,
        "saved_at": snapshot.saved_at or time.time(),
    }
    tmp = folder / (STATE + ".part")
    tmp.write_text(json.dumps(state, default=str), encoding="utf-8")
    tmp.replace(state_path)
    return folder


def exists(folder: Path | None = None) -> bool:
    """Whether a snapshot may be there (a cheap check before :func:`load` decodes it)."""
    return ((folder or autosave_dir()) / STATE).is_file()


def load(folder: Path | None = None) -> Snapshot | None:
    """The last complete snapshot, or None (no autosave, or an unreadable one)."""
    import numpy as np
    from PIL import Image

    folder = folder or autosave_dir()
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        arrays = {}
        for name in ("image", "original", "mask"):
            with Image.open(folder / f"{name}.png") as img:
                arrays[name] = np.array(img, dtype=np.uint8)
    except (OSError, ValueError):
        return None
    if arrays["mask"].shape != arrays["image"].shape[:2]:
        return None
    return Snapshot(
        arrays["image"],
        arrays["original"],
        arrays["mask"],
        str(state.get("source_name", "")),
        list(state.get("edits", [])),
        float(state.get("saved_at", 0.0)),
    )


def clear(folder: Path | None = None) -> None:
    folder = folder or autosave_dir()
    for name in (STATE, "image.png", "original.png", "mask.png"):
        (folder / name).unlink(missing_ok=True)
