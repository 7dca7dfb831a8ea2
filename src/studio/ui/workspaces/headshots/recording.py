"""What Headshots keeps in the gallery (:mod:`studio.core.gallery`): each finished pack, best
first with its identity scores, and each export, with the settings that made them (prompt,
style, seeds, sizes, model ids with their hashes).

The gallery is written on the workspace's I/O workers, never on the GUI thread. A failure to
record is logged and goes no further: the pack and the exported files are safe on disk, which
is what the user asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.ui.workspaces.headshots.gallery import number

if TYPE_CHECKING:
    from studio.core.gallery import GalleryEntry
    from studio.pipelines.headshots.packs import Pack, PackImage

log = logging.getLogger(__name__)
WORKSPACE = "headshots"


def _identity(im: PackImage) -> float:
    """The score the review shows: the refined image's when it was refined."""
    return float(im.final_id_score if im.final and im.final_id_score is not None else im.id_score)


def _settings(pack: Pack, images: list[PackImage]) -> dict[str, Any]:
    return {
        **pack.settings,
        "workspace": WORKSPACE,
        "prompt": pack.prompt,
        "negative_prompt": pack.negative_prompt,
        "style": pack.style,
        "pack_folder": str(pack.folder),
        "images": [
            {"number": number(im.index), "seed": im.seed, "flags": list(im.flags)} for im in images
        ],
    }


def record_pack(pack: Pack, store: Any) -> GalleryEntry:
    """Index a finished pack: its images best first (the refined file where there is one),
    ``scores`` the identity score of each by its number ("#1"), ``settings["ranking"]``
    their order."""
    from studio.core.gallery import record_result

    ranked = pack.ranked()
    settings = _settings(pack, ranked)
    settings["ranking"] = [number(im.index) for im in ranked]
    return record_result(
        WORKSPACE,
        "pack",
        [pack.path(im.final or im.draft) for im in ranked],
        settings,
        model_ids=list(dict.fromkeys(pack.models.values())),
        store=store,
        scores={number(im.index): _identity(im) for im in ranked},
    )


def record_export(pack: Pack, indices: list[int], written: list[Path], store: Any) -> GalleryEntry:
    """Index the files an export wrote (``indices``: the pack images exported, in order);
    the first image's seed is the entry's seed, every image's is in the settings."""
    from studio.core.gallery import record_result

    images = [pack.image(i) for i in indices]
    settings = _settings(pack, images)
    settings["seeds"] = [im.seed for im in images]
    settings.pop("seed", None)  # the pack's first seed: the exported images have their own
    return record_result(
        WORKSPACE,
        "export",
        list(written),
        settings,
        model_ids=list(dict.fromkeys(pack.models.values())),
        store=store,
        scores={number(im.index): _identity(im) for im in images},
    )


def record_quietly(what: str, record: Callable[[], GalleryEntry]) -> GalleryEntry | None:
    """``record()``, its failure only logged (call it on an I/O worker); the entry or None."""
    try:
        entry = record()
    except Exception as exc:  # noqa: BLE001 - the gallery is a convenience, never an error
        log.warning("could not record %s in the gallery: %r", what, exc)
        return None
    log.info("gallery: %s recorded as result %s", what, entry.id)
    return entry


def record_in_background(workers: Any, what: str, record: Callable[[], GalleryEntry]) -> None:
    """:func:`record_quietly` on ``workers`` (the workspace's I/O pool)."""
    workers.run(lambda: record_quietly(what, record), lambda _entry: None)
