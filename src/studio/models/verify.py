"""File hashing and verification of installed models."""

from __future__ import annotations

import hashlib
from pathlib import Path

from studio.models.store import MARKER, ModelStore

CHUNK = 1 << 20


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def hash_tree(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, keyed by its posix relative path."""
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): file_digest(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER and ".cache" not in p.relative_to(folder).parts
    }


DAMAGED_MARKER = f"damaged install marker ({MARKER}): download it again"


def verify_installed(store: ModelStore, model_id: str) -> list[str]:
    """Problems found in an installed model (missing or changed files, a damaged install
    marker, not installed at all); [] if fine."""
    if store.marker_damaged(model_id):
        return [DAMAGED_MARKER]
    if not store.is_installed(model_id):
        return ["not installed"]
    expected: dict[str, str] = store.manifest(model_id)["sha256"]
    actual = hash_tree(store.model_dir(model_id))
    problems = [f"missing: {name}" for name in expected if name not in actual]
    problems += [
        f"changed: {name}"
        for name, digest in expected.items()
        if name in actual and actual[name] != digest
    ]
    return problems


def verify_models(
    store: ModelStore, model_ids: list[str] | None = None
) -> list[tuple[str, list[str]]]:
    """``(id, problems)`` for each of ``model_ids``, or for every installed model plus every
    model whose install marker is damaged (it looks half installed: the user must hear)."""
    if not model_ids:
        model_ids = [
            e.id for e in store.catalogue if store.is_installed(e.id) or store.marker_damaged(e.id)
        ]
    return [(model_id, verify_installed(store, model_id)) for model_id in model_ids]
