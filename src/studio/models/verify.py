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


def verify_installed(store: ModelStore, model_id: str) -> list[str]:
    """Problems found in an installed model (missing, changed or unexpected files); [] if fine."""
    expected: dict[str, str] = store.manifest(model_id)["sha256"]
    actual = hash_tree(store.model_dir(model_id))
    problems = [f"missing: {name}" for name in expected if name not in actual]
    problems += [
        f"changed: {name}"
        for name, digest in expected.items()
        if name in actual and actual[name] != digest
    ]
    return problems
