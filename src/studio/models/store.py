"""Where installed models live on disk, and what counts as installed.

Layout: ``<root>/<model_id>/<files...>`` with the files at their repo-relative paths (hub) or
under their file name (URL). A model is installed only once ``.studio-installed.json`` exists
in its folder and reads as a valid manifest (a garbled marker counts as not installed, and
``verify`` reports it as damaged); downloads are assembled in ``<root>/.staging/<model_id>``
and moved into place by :meth:`ModelStore.commit` after they verify, so a half or corrupt
download is never where a pipeline would load it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

from studio.core.errors import ModelMissing
from studio.models.catalogue import Catalogue, ModelEntry

MARKER = ".studio-installed.json"
log = logging.getLogger(__name__)


class ModelStore:
    """Installed models under one root directory."""

    def __init__(self, root: Path, catalogue: Catalogue) -> None:
        self.root = Path(root)
        self.catalogue = catalogue

    def model_dir(self, model_id: str) -> Path:
        self.catalogue.get(model_id)  # unknown ids fail loudly
        return self.root / model_id

    def staging_dir(self, model_id: str) -> Path:
        """Where a download (or a locally built model) is assembled before :meth:`commit`."""
        path = self.root / ".staging" / model_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def is_installed(self, model_id: str) -> bool:
        """True once the model's install marker exists and is a valid manifest."""
        return self._read_marker(model_id) is not None

    def marker_damaged(self, model_id: str) -> bool:
        """The install marker exists but cannot be read as a manifest (garbled, truncated)."""
        marker = self.model_dir(model_id) / MARKER
        return marker.is_file() and self._read_marker(model_id) is None

    def _read_marker(self, model_id: str) -> dict | None:
        path = self.model_dir(model_id) / MARKER
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return None  # absent, unreadable or garbled: not installed
        if not isinstance(data, dict) or not isinstance(data.get("sha256"), dict):
            return None
        return data

    def require(self, model_id: str) -> Path:
        """The installed model's folder, or :class:`ModelMissing` naming it and its size."""
        if not self.is_installed(model_id):
            entry = self.catalogue.get(model_id)
            raise ModelMissing(model_id, entry.name, entry.size_bytes)
        return self.model_dir(model_id)

    def require_all(self, *model_ids: str) -> list[Path]:
        """Folders of several models; one :class:`ModelMissing` names every missing one."""
        missing = [self.catalogue.get(i) for i in model_ids if not self.is_installed(i)]
        if missing:
            first, rest = missing[0], missing[1:]
            raise ModelMissing(
                first.id,
                first.name,
                first.size_bytes,
                more=[(e.id, e.name, e.size_bytes) for e in rest],
            )
        return [self.model_dir(i) for i in model_ids]

    def file(self, model_id: str, relpath: str) -> Path:
        return self.require(model_id) / relpath

    def installed(self) -> list[ModelEntry]:
        return [e for e in self.catalogue if self.is_installed(e.id)]

    def disk_usage(self, model_id: str) -> int:
        folder = self.model_dir(model_id)
        if not folder.exists():
            return 0
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    def manifest(self, model_id: str) -> dict:
        """The install marker's contents; :class:`ModelMissing` when not (validly) installed."""
        self.require(model_id)
        data = self._read_marker(model_id)
        if data is None:  # garbled between the two reads
            entry = self.catalogue.get(model_id)
            raise ModelMissing(model_id, entry.name, entry.size_bytes)
        return data

    def commit(
        self, model_id: str, staged: Path, hashes: dict[str, str], source_commit: str = ""
    ) -> Path:
        """Move a verified staging folder into place and mark it installed.

        ``hashes`` maps each file's relative path to its sha256, kept for ``verify``.
        """
        target = self.model_dir(model_id)
        if target.exists():
            self._discard(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        marker = {"id": model_id, "installed_at": time.time(), "sha256": hashes}
        if source_commit:
            marker["commit"] = source_commit  # the hub revision the files came from
        tmp = target / (MARKER + ".tmp")
        tmp.write_text(json.dumps(marker, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, target / MARKER)
        return target

    def delete(self, model_id: str) -> None:
        for path in (self.model_dir(model_id), self.root / ".staging" / model_id):
            if path.exists():
                self._discard(path)

    def _discard(self, folder: Path) -> None:
        """Un-install first (marker gone, folder moved aside), then delete: an interrupted
        delete never leaves a half-deleted folder that still looks installed."""
        (folder / MARKER).unlink(missing_ok=True)
        trash = self.root / ".trash" / f"{folder.name}-{time.time_ns()}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, trash)
        for old in trash.parent.iterdir():  # also whatever an earlier failed delete left
            try:
                shutil.rmtree(old)
            except OSError as exc:
                log.warning("could not delete %s yet: %s", old, exc)
