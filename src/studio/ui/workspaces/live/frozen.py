"""Live's frozen frame: the output image kept for saving or sending to the Canvas.

Saving runs on the I/O workers through :func:`studio.core.export.export_image`, which writes
a temporary file and renames it onto the target, so a failed write (a full disk) leaves the
user's existing file as it was; the settings that made the frame go into its metadata. A
saved frame is recorded in the gallery on the same worker (prompt, seed, strength, model ids
with their hashes); a failure to record is only logged: the file is what the user asked for.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.core.errors import StudioError
from studio.ui.widgets.worker import IoWorkers

log = logging.getLogger(__name__)


def record_frame(path: Path, settings: dict[str, Any], store: Any) -> Any:
    """Index a saved frame in the gallery (on an I/O worker); the entry, or None when the
    gallery could not be written (logged, never shown)."""
    from studio.core.gallery import record_result

    models = [m for m in (settings.get("model_id"), settings.get("vae_id")) if m]
    try:
        entry = record_result("live", "frame", [path], settings, model_ids=models, store=store)
    except Exception as exc:  # noqa: BLE001 - the gallery is a convenience, never an error
        log.warning("could not record %s in the gallery: %r", path, exc)
        return None
    log.info("gallery: %s recorded as result %s", path, entry.id)
    return entry


class FrozenFrame(QObject):
    """Holds one frozen frame; ``save`` reports ``saved(path)`` or ``failed(message)``."""

    saved = Signal(object)  # the Path written
    failed = Signal(str)

    def __init__(self, parent: QObject, store: Any = None) -> None:
        super().__init__(parent)
        self.store = store  # model hashes for the gallery
        self.image: Any = None  # a PIL image
        self.settings: dict[str, Any] = {}
        self.saving = False
        self.workers = IoWorkers(self)

    def freeze(self, image: Any, settings: Any) -> None:
        """Keep a copy of ``image`` and the :class:`LiveSettings` that made it."""
        self.image = image.copy()
        values = dataclasses.asdict(settings)
        values.pop("blocked_terms", None)  # the filter's word list is no setting of the frame
        self.settings = {"workspace": "live", **values}

    def save(self, path: str | Path) -> Path | None:
        """Write the frame to ``path`` (PNG, JPEG or WebP by extension; ``.png`` added
        otherwise) in the background; returns the path it will have (None: nothing frozen)."""
        from studio.core.export import EXPORT_FORMATS, export_image

        if self.image is None:
            return None
        target = Path(path)
        if target.suffix.lower() not in EXPORT_FORMATS:
            target = target.with_name(target.name + ".png")
        image, settings, store = self.image, dict(self.settings), self.store

        def write() -> Path:
            written = export_image(image, target, settings)
            record_frame(written, settings, store)  # in the gallery before "saved" is said
            return written

        self.saving = True
        self.workers.run(
            write,
            self._on_saved,
            lambda exc: self._on_failed(exc, target),
        )
        return target

    def _on_saved(self, target: Path) -> None:
        self.saving = False
        self.saved.emit(Path(target))

    def _on_failed(self, exc: BaseException, target: Path) -> None:
        self.saving = False
        if isinstance(exc, StudioError):
            message = exc.user_message
        elif isinstance(exc, OSError):  # e.g. the folder could not be made
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            message = f"Could not write {target.name}: " + (
                "the disk is full." if full else f"{exc.strerror or exc}."
            )
        else:
            log.error("saving a live frame failed", exc_info=exc)
            message = f"Could not write {target.name} ({exc})."
        self.failed.emit(f"The frame was not saved. {message}")
