"""What Lipsync keeps in the gallery (:mod:`studio.core.gallery`): each finished render and
each saved copy of it, with the settings that made it (avatar, speech, mouth scale, crop
shift, smoothing, idle motion) and the MuseTalk models with their hashes.

Called on the workspace's I/O workers, never on the GUI thread. A failure to record is
logged and goes no further: the video is on disk, which is what the user asked for.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def render_settings(request: Any, result: Any) -> dict[str, Any]:
    """The settings of a finished ``lipsync.render`` job, for the gallery."""
    return {
        "workspace": "lipsync",
        "avatar": str(request.avatar),
        "audio": str(request.audio),
        "mouth_scale": request.mouth_scale,
        "bbox_shift": request.bbox_shift,
        "smoothing": request.smoothing,
        "idle_motion": request.idle_motion,
        "frames": result.frames,
        "duration_s": result.duration_s,
    }


def record_video(kind: str, video: Path, settings: dict[str, Any], store: Any) -> Any:
    """Index ``video`` (``kind``: "render" or "export") quietly: the entry, or None when the
    gallery could not be written (logged)."""
    from studio.core.gallery import record_result
    from studio.pipelines.lipsync.models import PARSER_ID, REQUIRED

    models = [*REQUIRED, *([PARSER_ID] if store.is_installed(PARSER_ID) else [])]
    try:
        entry = record_result("lipsync", kind, [video], settings, model_ids=models, store=store)
    except Exception as exc:  # noqa: BLE001 - the gallery is a convenience, never an error
        log.warning("could not record %s in the gallery: %r", video, exc)
        return None
    log.info("gallery: %s recorded as result %s", video, entry.id)
    return entry
