"""The model catalogue: every model Studio uses, parsed from ``catalogue/*.json``.

Each entry names where its files come from (a Hugging Face repo with a file list and a
revision, or plain URLs with hashes), its licence, size and a VRAM estimate. Each file also
names its workspace and the models that workspace always needs (``required``) or may use
(``optional``), which :func:`workspace_licence` turns into a per-workspace licence summary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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
    # Why commercial use is forbidden, or the conditions under which it is allowed.
    licence_note: str = ""

    @property
    def source_label(self) -> str:
        if self.hub is not None:
            return f"huggingface.co/{self.hub.repo}"
        return self.urls[0].url if self.urls else ""


@dataclass(frozen=True)
class Workspace:
    """The models one workspace always needs (``required``) and may use (``optional``)."""

    id: str
    name: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


class Catalogue:
    """Lookup of :class:`ModelEntry` by id, in file order; ``workspaces`` by workspace id."""

    def __init__(self, entries: list[ModelEntry], workspaces: Iterable[Workspace] = ()) -> None:
        workspaces = list(workspaces)
        ids = [e.id for e in entries]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate model ids in catalogue: {dupes}")
        self._entries = {e.id: e for e in entries}
        self.workspaces = {w.id: w for w in workspaces}
        for w in workspaces:
            unknown = [i for i in (*w.required, *w.optional) if i not in self._entries]
            if unknown:
                raise ValueError(f"workspace '{w.id}' names unknown models: {unknown}")

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
        "licence_note",
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
        licence_note=raw.get("licence_note", ""),
    )


def _workspace(raw: dict[str, Any] | None) -> list[Workspace]:
    if raw is None:
        return []
    return [
        Workspace(
            id=raw["id"],
            name=raw.get("name", raw["id"]),
            required=tuple(raw.get("required", ())),
            optional=tuple(raw.get("optional", ())),
        )
    ]


def parse_catalogue(text: str) -> Catalogue:
    data = json.loads(text)
    return Catalogue([_entry(raw) for raw in data["models"]], _workspace(data.get("workspace")))


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue shipped with Studio (one JSON file per workspace), or the file at ``path``."""
    if path is not None:
        return parse_catalogue(Path(path).read_text(encoding="utf-8"))
    folder = resources.files("studio.models").joinpath("catalogue")
    entries: list[ModelEntry] = []
    workspaces: list[Workspace] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            data = json.loads(item.read_text("utf-8"))
            entries += [_entry(raw) for raw in data["models"]]
            workspaces += _workspace(data.get("workspace"))
    return Catalogue(entries, workspaces)


# --- Per-workspace licence summaries (the UI shows one per workspace) ---


@dataclass(frozen=True)
class LicenceNote:
    """One model's reason for restricting (or conditioning) commercial use."""

    model_id: str
    name: str
    reason: str


@dataclass(frozen=True)
class LicenceSummary:
    """What a workspace's licences allow; :attr:`text` is the sentence the UI shows."""

    workspace: str
    name: str
    commercial_use: bool
    restricted_by: tuple[LicenceNote, ...]  # required models that forbid commercial use
    optional_restricted: tuple[LicenceNote, ...]  # optional models that forbid it
    conditions: tuple[LicenceNote, ...]  # models that allow it only under conditions

    @property
    def text(self) -> str:
        def listed(notes: tuple[LicenceNote, ...]) -> str:
            return "; ".join(f"{n.name}: {n.reason.rstrip('.')}" for n in notes)

        if self.commercial_use:
            parts = [f"{self.name}: commercial use allowed."]
            if self.conditions:
                parts.append(f"Conditions: {listed(self.conditions)}.")
        else:
            parts = [f"{self.name}: not for commercial use. {listed(self.restricted_by)}."]
        if self.optional_restricted:
            label = "Except with" if self.commercial_use else "Also restricted"
            parts.append(f"{label}: {listed(self.optional_restricted)}.")
        return " ".join(parts)


def _note(entry: ModelEntry) -> LicenceNote:
    return LicenceNote(entry.id, entry.name, entry.licence_note or entry.licence)


def workspace_licence(workspace: str, catalogue: Catalogue | None = None) -> LicenceSummary:
    """The licence summary of ``workspace`` ("canvas", "headshots", "lipsync", "live").

    Raises KeyError for an unknown workspace.
    """
    catalogue = catalogue or load_catalogue()
    try:
        ws = catalogue.workspaces[workspace]
    except KeyError:
        known = ", ".join(catalogue.workspaces)
        raise KeyError(f"unknown workspace '{workspace}' (known: {known})") from None
    required = [catalogue.get(i) for i in ws.required]
    optional = [catalogue.get(i) for i in ws.optional if i not in ws.required]
    restricted = tuple(_note(e) for e in required if not e.commercial_use)
    return LicenceSummary(
        workspace=ws.id,
        name=ws.name,
        commercial_use=not restricted,
        restricted_by=restricted,
        optional_restricted=tuple(_note(e) for e in optional if not e.commercial_use),
        conditions=tuple(
            _note(e) for e in (*required, *optional) if e.commercial_use and e.licence_note
        ),
    )
