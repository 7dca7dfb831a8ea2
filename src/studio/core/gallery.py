"""The gallery: every result of every workspace with the settings that made it (no Qt).

A local SQLite index (``gallery.sqlite3`` in Studio's data folder; stdlib ``sqlite3``, WAL,
schema version in ``PRAGMA user_version``) keeps one row per result: workspace, job kind,
prompt, seed, the models used with their hashes, scores, output files, the full settings and
the time. It is browsable per workspace, searchable by prompt (SQLite FTS5 where the build has
it, else a ``LIKE`` scan) and outlives the session.

:func:`record_result` is the one call a workspace or the job executor makes after a result
is written; :func:`read_settings` reads settings back from an exported file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput
from studio.core.recall import NoStudioSettings, read_settings

__all__ = [
    "Gallery",
    "GalleryEntry",
    "NoStudioSettings",
    "default_gallery_path",
    "read_settings",
    "record_result",
]

SCHEMA_VERSION = 1
FILENAME = "gallery.sqlite3"
_INT64 = 2**63 - 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    kind TEXT NOT NULL,
    prompt TEXT NOT NULL DEFAULT '',
    seed INTEGER,
    models TEXT NOT NULL DEFAULT '{}',
    scores TEXT NOT NULL DEFAULT '{}',
    outputs TEXT NOT NULL DEFAULT '[]',
    settings TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_by_workspace ON results (workspace, created DESC);
"""
_FTS = """
CREATE VIRTUAL TABLE IF NOT EXISTS results_fts
    USING fts5(prompt, content='results', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS results_fts_add AFTER INSERT ON results BEGIN
    INSERT INTO results_fts (rowid, prompt) VALUES (new.id, new.prompt);
END;
CREATE TRIGGER IF NOT EXISTS results_fts_del AFTER DELETE ON results BEGIN
    INSERT INTO results_fts (results_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt);
END;
"""
_COLUMNS = "id, workspace, kind, prompt, seed, models, scores, outputs, settings, created"


@dataclass(frozen=True)
class GalleryEntry:
    """One result: what made it (``settings`` holds everything the job was given)."""

    id: int
    workspace: str
    kind: str
    prompt: str
    seed: int | None
    models: dict[str, str]  # model id -> content hash ("" when unknown)
    scores: dict[str, float]
    outputs: list[str]
    settings: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0  # seconds since the epoch

    def missing_outputs(self) -> list[str]:
        return [p for p in self.outputs if not Path(p).exists()]


def default_gallery_path() -> Path:
    from studio.core.paths import data_dir

    return data_dir() / FILENAME


class Gallery:
    """The index in one SQLite file; safe to use from several threads (one lock)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_gallery_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise BadInput(f"The gallery at '{self.path}' cannot be opened.", repr(exc)) from exc
        self._lock = threading.Lock()
        self.has_fts = False
        try:
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise BadInput(
                f"The gallery file '{self.path}' is damaged; move it away to start a new one "
                "(your images stay where they are).",
                repr(exc),
            ) from exc

    def _migrate(self) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise BadInput(
                f"The gallery was written by a newer Studio (schema {version}); update Studio."
            )
        db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        with db:
            db.executescript(_SCHEMA)
            try:
                db.executescript(_FTS)
                self.has_fts = True
            except sqlite3.OperationalError:  # SQLite built without FTS5: LIKE search
                self.has_fts = False
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Gallery:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(
        self,
        workspace: str,
        kind: str,
        outputs: list[str | Path],
        settings: dict[str, Any] | None = None,
        *,
        prompt: str | None = None,
        seed: int | None = None,
        models: dict[str, str] | None = None,
        scores: dict[str, float] | None = None,
        created: float | None = None,
    ) -> GalleryEntry:
        """Index one result; ``prompt`` and ``seed`` default to the settings' own."""
        settings = dict(settings or {})
        if not workspace or not kind:
            raise BadInput("A gallery entry needs its workspace and job kind.")
        prompt = str(prompt if prompt is not None else settings.get("prompt") or "")
        seed = seed if seed is not None else _seed_of(settings)
        if seed is not None and not -_INT64 <= int(seed) <= _INT64:
            seed = None  # kept in the settings; the column is a 64-bit integer
        row = (
            workspace,
            kind,
            prompt,
            None if seed is None else int(seed),
            json.dumps(models or {}, sort_keys=True),
            json.dumps(scores or {}, sort_keys=True),
            json.dumps([str(Path(p).resolve()) for p in outputs]),
            json.dumps(settings, ensure_ascii=False, default=str),
            time.time() if created is None else float(created),
        )
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT INTO results (workspace, kind, prompt, seed, models, scores, outputs,"
                " settings, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            new_id = int(cur.lastrowid or 0)
        return self.get(new_id)

    def get(self, entry_id: int) -> GalleryEntry:
        """The entry, or :class:`BadInput` when it is not (or no longer) in the gallery."""
        rows = self._query(f"SELECT {_COLUMNS} FROM results WHERE id = ?", (int(entry_id),))
        if not rows:
            raise BadInput(f"Result {entry_id} is not in the gallery (deleted?).")
        return rows[0]

    def entries(
        self, workspace: str | None = None, limit: int = 200, offset: int = 0
    ) -> list[GalleryEntry]:
        """Newest first, of one workspace or all."""
        where, args = ("WHERE workspace = ?", [workspace]) if workspace else ("", [])
        return self._query(
            f"SELECT {_COLUMNS} FROM results {where} ORDER BY created DESC, id DESC"
            " LIMIT ? OFFSET ?",
            (*args, int(limit), int(offset)),
        )

    def search(
        self, text: str, workspace: str | None = None, limit: int = 200
    ) -> list[GalleryEntry]:
        """Entries whose prompt has every word of ``text`` (word prefixes match), newest
        first; an empty ``text`` lists them all."""
        words = [w for w in str(text).split() if w.strip()]
        if not words:
            return self.entries(workspace, limit)
        ws_clause, ws_args = (" AND r.workspace = ?", [workspace]) if workspace else ("", [])
        if self.has_fts:
            # Each word quoted (so AND/OR/NEAR and punctuation are plain text), as a prefix.
            match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
            sql = (
                f"SELECT {', '.join('r.' + c for c in _COLUMNS.split(', '))} FROM results r"
                " JOIN results_fts f ON f.rowid = r.id WHERE results_fts MATCH ?"
                f"{ws_clause} ORDER BY r.created DESC, r.id DESC LIMIT ?"
            )
            return self._query(sql, (match, *ws_args, int(limit)))
        likes = " AND ".join("r.prompt LIKE ? ESCAPE '\\'" for _ in words)
        patterns = ["%" + _escape_like(w) + "%" for w in words]
        sql = (
            f"SELECT {', '.join('r.' + c for c in _COLUMNS.split(', '))} FROM results r"
            f" WHERE {likes}{ws_clause} ORDER BY r.created DESC, r.id DESC LIMIT ?"
        )
        return self._query(sql, (*patterns, *ws_args, int(limit)))

    def delete(self, entry_id: int) -> None:
        """Forget one entry (its files stay where they are)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM results WHERE id = ?", (int(entry_id),))

    def delete_missing(self) -> list[int]:
        """Forget the entries none of whose output files exist any more; their ids."""
        gone = [e.id for e in self.entries(limit=-1) if e.outputs and not _any_exists(e.outputs)]
        with self._lock, self._db:
            self._db.executemany("DELETE FROM results WHERE id = ?", [(i,) for i in gone])
        return gone

    def count(self, workspace: str | None = None) -> int:
        where, args = ("WHERE workspace = ?", (workspace,)) if workspace else ("", ())
        with self._lock:
            return int(
                self._db.execute(f"SELECT COUNT(*) FROM results {where}", args).fetchone()[0]
            )

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[GalleryEntry]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_entry(r) for r in rows]


def _entry(row: tuple[Any, ...]) -> GalleryEntry:
    id_, workspace, kind, prompt, seed, models, scores, outputs, settings, created = row
    return GalleryEntry(
        id=int(id_),
        workspace=workspace,
        kind=kind,
        prompt=prompt,
        seed=seed,
        models=json.loads(models),
        scores=json.loads(scores),
        outputs=json.loads(outputs),
        settings=json.loads(settings),
        created=float(created),
    )


def _seed_of(settings: dict[str, Any]) -> int | None:
    seed = settings.get("seed")
    if seed is None and isinstance(settings.get("seeds"), list) and settings["seeds"]:
        seed = settings["seeds"][0]
    try:
        return None if seed is None or isinstance(seed, bool) else int(seed)
    except (TypeError, ValueError):
        return None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _any_exists(paths: list[str]) -> bool:
    return any(Path(p).exists() for p in paths)


def model_hashes(store: Any, model_ids: list[str]) -> dict[str, str]:
    """``{model id: hash}`` for installed models: one sha256 over the install manifest's
    per-file hashes, so the same files give the same hash on every machine ("" when the
    model is not installed)."""
    import hashlib

    out: dict[str, str] = {}
    for model_id in model_ids:
        try:
            files = store.manifest(model_id)["sha256"]
        except Exception:  # not installed, or unknown to this catalogue
            out[model_id] = ""
            continue
        digest = hashlib.sha256()
        for rel in sorted(files):
            digest.update(f"{rel}\0{files[rel]}\n".encode())
        out[model_id] = digest.hexdigest()
    return out


def record_result(
    workspace: str,
    kind: str,
    outputs: list[str | Path],
    settings: dict[str, Any] | None = None,
    *,
    model_ids: list[str] | None = None,
    store: Any = None,
    scores: dict[str, float] | None = None,
    gallery: Gallery | None = None,
) -> GalleryEntry:
    """Index one finished result in the gallery (the default one unless ``gallery`` is
    given); model ids are recorded with their hashes from ``store``. The hook a workspace
    or the executor calls once the result's files are written."""
    settings = dict(settings or {})
    ids = list(model_ids or [])
    if not ids:
        ids = [str(settings[k]) for k in ("model", "prefill_model") if settings.get(k)]
    models = model_hashes(store, ids) if store is not None else {i: "" for i in ids}
    if gallery is not None:
        return gallery.add(workspace, kind, outputs, settings, models=models, scores=scores)
    with Gallery() as own:
        return own.add(workspace, kind, outputs, settings, models=models, scores=scores)
