"""Exporting the Canvas image: Export (again to the same file), Export As (asks where), the
file written on an I/O thread, "Saved to ..." for the window's toast."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QFileDialog

from studio.core.errors import BadInput, StudioError

EXPORT_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"
MODEL_KEYS = ("model", "prefill_model", "sam_model", "lora")  # edit settings naming a model

log = logging.getLogger(__name__)


def gallery_entry(metadata: dict[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
    """``(kind, settings, model ids)`` for the gallery from the document's metadata: the
    kind is the last edit's ("fill", "expand"...; "original" when none), the settings are
    that edit's (prompt, seed...) plus the whole edit list, the models those of every edit."""
    edits = list(metadata.get("edits", []))
    last = dict(edits[-1]) if edits else {}
    kind = str(last.pop("op", "original")).lower().replace(" ", "_")
    models: list[str] = []
    for edit in edits:
        for key in MODEL_KEYS:
            value = edit.get(key)
            if isinstance(value, str) and value and value not in models:
                models.append(value)
    settings = {**last, "source": metadata.get("source"), "edits": edits}
    return kind, settings, models


class CanvasExport:
    """Mixed into :class:`CanvasWorkspace`; uses its document, I/O workers and signals."""

    doc: Any
    store: Any
    recorded: Any  # Signal(str): an export is in the gallery
    io: Any
    panel: Any
    autosaver: Any
    export_quality: int
    export_path: Path | None
    _edits: int

    def export(self) -> bool:
        """Export again to the file of the last export of this image, else ask where."""
        if self.export_path is not None:
            return self.export_to(self.export_path)
        return self.export_dialog()

    def export_dialog(self, wait: bool = False) -> bool:
        if not self.doc.has_image:
            return False
        stem = Path(self.doc.source_name or "image").stem
        path, _ = QFileDialog.getSaveFileName(self, "Export", f"{stem}-edited.png", EXPORT_FILTER)
        return bool(path) and self.export_to(path, wait=wait)

    def export_to(self, path: str | Path, wait: bool = False) -> bool:
        """Write the image with the edit settings in its metadata, on an I/O thread.

        The file appears whole or not at all (``export_image`` writes a temporary file and
        renames it). On success the work is marked saved unless it was edited meanwhile; a
        failure shows why and leaves the work unsaved (and autosaved). ``wait`` blocks
        until the file is written (closing asks "Export first?") and returns whether it was.
        """
        from studio.core.export import export_image

        if not self.doc.has_image:
            return False
        path = Path(path)
        image, meta, quality, edits = (
            self.doc.image,
            self.doc.metadata(),
            self.export_quality,
            self._edits,
        )
        outcome: dict[str, bool] = {}
        loop = QEventLoop() if wait else None

        def finish(ok: bool) -> None:
            outcome["ok"] = ok
            if loop is not None:
                loop.quit()

        self.panel.status.setText(f"Exporting {path.name}…")
        self.io.run(
            lambda: export_image(image, path, meta, quality),
            lambda written: finish(self._exported(Path(written), edits, meta)),
            lambda exc: finish(self._export_error(exc, path)),
        )
        if loop is None:
            return True
        self.setEnabled(False)  # nothing changes the document while we wait for the file
        try:
            if "ok" not in outcome:
                loop.exec()
        finally:
            self.setEnabled(True)
        return outcome.get("ok", False)

    def _exported(self, path: Path, edits: int, meta: dict[str, Any]) -> bool:
        if edits == self._edits:
            self.doc.stack.setClean()
            self.autosaver.clear()
        self.export_path = path
        self.panel.status.setText(f"Exported {path.name}.")
        self.exported.emit(str(path))
        self.opened_file.emit(str(path))
        self.notify.emit(f"Saved to {path}")
        self._record_in_gallery(path, meta)
        return True

    def _record_in_gallery(self, path: Path, meta: dict[str, Any]) -> None:
        """Index the exported file in the gallery on an I/O thread; a failure is only logged
        (the file is written, which is what the user asked for)."""
        from studio.core.gallery import record_result

        kind, settings, models = gallery_entry(meta)
        store = self.store
        self.io.run(
            lambda: record_result(
                "canvas", kind, [str(path)], settings=settings, model_ids=models, store=store
            ),
            lambda _entry: self.recorded.emit(str(path)),
            lambda exc: log.warning("Could not record %s in the gallery: %r", path, exc),
        )

    def _export_error(self, exc: BaseException, path: Path) -> bool:
        if isinstance(exc, OSError) and not isinstance(exc, StudioError):
            exc = BadInput(f"Could not write '{path.name}': {exc.strerror or exc}.", str(exc))
        return self._show_failure(exc, self.export_failed)
