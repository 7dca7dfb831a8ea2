"""What the UI asks of the download service, and whether it fits on disk.

Kept apart from :mod:`studio.models.download` (which pulls in ``http.client`` and
``urllib``) so that the main window, the Models dialog and the welcome dialog can build
requests and check free space without loading the HTTP machinery at start-up; the download
module re-exports all three names.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.core.errors import DownloadFailed, format_size

if TYPE_CHECKING:
    from studio.models.store import ModelStore

__all__ = ["DownloadRequest", "bytes_missing", "check_disk_space"]


@dataclass(frozen=True)
class DownloadRequest:
    """A ``models.download`` job: fetch ``model_id`` (again, with ``force``)."""

    model_id: str
    force: bool = False


def bytes_missing(store: ModelStore, model_ids: list[str], reinstall: bool = False) -> int:
    """Bytes still to download for ``model_ids``: catalogue sizes of those not installed (all
    of them with ``reinstall``: the old copy stays until the new one is committed), less what
    earlier attempts left in their staging folders (resumed, not fetched again)."""
    total = 0
    for model_id in dict.fromkeys(model_ids):
        if store.is_installed(model_id) and not reinstall:
            continue
        staged = store.root / ".staging" / model_id
        have = sum(p.stat().st_size for p in staged.rglob("*") if p.is_file())
        total += max(0, store.catalogue.get(model_id).size_bytes - have)
    return total


def check_disk_space(store: ModelStore, model_ids: list[str], reinstall: bool = False) -> None:
    """DownloadFailed, before anything is fetched, when the store's disk cannot hold
    ``model_ids`` (with 1% to spare); see :func:`bytes_missing`."""
    needed = bytes_missing(store, model_ids, reinstall)
    if not needed:
        return
    folder = store.root
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the store may not exist yet: ask its nearest existing parent
    free = shutil.disk_usage(folder).free
    if needed + needed // 100 > free:
        raise DownloadFailed(
            f"Not enough free disk space: the download needs {format_size(needed)} but only "
            f"{format_size(free)} is free in {store.root}. Free some space or choose another "
            "models folder in Settings.",
            f"needed {needed} bytes, free {free} bytes",
        )
