"""The saved packs offered under "Past packs": one label each, read on an I/O worker."""

from __future__ import annotations

import time
from pathlib import Path

from studio.core import paths
from studio.core.errors import StudioError
from studio.pipelines.headshots.styles import list_styles

MANIFEST = "pack.json"  # packs.MANIFEST, without importing numpy on the GUI thread


def packs_root() -> Path:
    return paths.headshot_packs_dir()


def is_pack_folder(path: Path) -> bool:
    return path.is_dir() and (path / MANIFEST).is_file()


def past_entries(root: Path) -> list[tuple[str, str]]:
    """(label, folder) of each saved pack, newest first (runs on an I/O worker)."""
    try:
        names = {s.id: s.name for s in list_styles()}
    except StudioError:  # unreadable style files: the ids still say which style
        names = {}
    from studio.pipelines.headshots import packs

    out = []
    for pack in packs.list_packs(root):
        flagged = sum(bool(im.flags) for im in pack.images)
        note = f", {flagged} flagged" if flagged else ""
        done = "" if pack.complete else " (unfinished)"
        when = time.strftime("%d %b %H:%M", time.localtime(pack.created))
        style = names.get(pack.style, pack.style)
        label = f"{style} · {when} · {len(pack.images)} images{note}{done}"
        out.append((label, str(pack.folder)))
    return out
