"""Saving Lipsync's video (no Qt): a copy through :func:`studio.core.outputs.atomic_path`, so a
failed write (a full disk, a vanished folder) never leaves half a file under the user's name
nor truncates the one already there."""

from __future__ import annotations

import shutil
from pathlib import Path

from studio.core.errors import BadInput
from studio.core.outputs import atomic_path, same_file, write_error

__all__ = ["atomic_path", "copy_atomic", "same_file", "write_error"]


def copy_atomic(source: str | Path, target: str | Path) -> Path:
    """Copy ``source`` to ``target`` through :func:`atomic_path`; returns ``target``."""
    if not Path(source).is_file():
        raise BadInput(f"{Path(source).name} is no longer there: generate the video again.")
    if same_file(source, target):
        return Path(target)  # already there: copying a file onto itself would empty it
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return Path(target)
