"""The model catalogue: every model Studio uses, parsed from ``catalogue/*.json``.

Each entry names where its files come from (a Hugging Face repo with a file list and a
revision, or plain URLs with hashes), its licence, size and a VRAM estimate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class UrlFile:
    """One file fetched from a URL; ``sha256`` (preferred) or ``md5`` verifies it."""

    url: str
    filename: str
    sha256: str | None = None
    md5: str | None = None
    size_bytes: int = 0


@dataclass(frozen=True)
class HubSource:
    """Files from one Hugging Face repository (huggingface-hub verifies them)."""

    repo: str
    files: tuple[str, ...]
    revision: str = "main"
    repo_type: str = "model"


@dataclass(frozen=True)
class ModelEntry:
    id: str
    name: str
    task: str
    licence: str
    commercial_use: bool
    size_bytes: int
    vram_bytes: int
    hub: HubSource | None = None
    urls: tuple[UrlFile, ...] = ()
    notes: str = ""
    homepage: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def source_label(self) -> str:
        if self.hub is not None:
            return f"huggingface.co/{self.hub.repo}"
        return self.urls[0].url if self.urls else ""


class Catalogue:
    """Lookup of :class:`ModelEntry` by id, in file order."""

    def __init__(self, entries: list[ModelEntry]) -> None:
        ids = [e.id for e in entries]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate model ids in catalogue: {dupes}")
        self._entries = {e.id: e for e in entries}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._entries

    def get(self, model_id: str) -> ModelEntry:
        try:
            return self._entries[model_id]
        except KeyError:
            known = ", ".join(self._entries)
            raise KeyError(f"unknown model id '{model_id}' (known: {known})") from None

    def for_task(self, task: str) -> list[ModelEntry]:
        return [e for e in self._entries.values() if e.task == task]


def _entry(raw: dict[str, Any]) -> ModelEntry:
    hub = None
    if "hub" in raw:
        h = raw["hub"]
        hub = HubSource(
            repo=h["repo"],
            files=tuple(h["files"]),
            revision=h.get("revision", "main"),
            repo_type=h.get("repo_type", "model"),
        )
    urls = tuple(UrlFile(**u) for u in raw.get("urls", ()))
    if (hub is None) == (not urls):
        raise ValueError(f"model '{raw.get('id')}' needs exactly one of 'hub' or 'urls'")
    for u in urls:
        if not (u.sha256 or u.md5):
            raise ValueError(f"model '{raw['id']}': URL file {u.filename} has no hash")
    known = {
        "id",
        "name",
        "task",
        "licence",
        "commercial_use",
        "size_bytes",
        "vram_bytes",
        "hub",
        "urls",
        "notes",
        "homepage",
    }
    return ModelEntry(
        id=raw["id"],
        name=raw["name"],
        task=raw["task"],
        licence=raw["licence"],
        commercial_use=bool(raw["commercial_use"]),
        size_bytes=int(raw["size_bytes"]),
        vram_bytes=int(raw["vram_bytes"]),
        hub=hub,
        urls=urls,
        notes=raw.get("notes", ""),
        homepage=raw.get("homepage", ""),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def parse_catalogue(text: str) -> Catalogue:
    data = json.loads(text)
    return Catalogue([_entry(raw) for raw in data["models"]])


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue shipped with Studio (one JSON file per workspace), or the file at ``path``."""
    if path is not None:
        return parse_catalogue(Path(path).read_text(encoding="utf-8"))
    folder = resources.files("studio.models").joinpath("catalogue")
    entries: list[ModelEntry] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            entries += [_entry(raw) for raw in json.loads(item.read_text("utf-8"))["models"]]
    return Catalogue(entries)
