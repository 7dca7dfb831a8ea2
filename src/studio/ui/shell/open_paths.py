"""Paths handed to the window at start (``studio photo.png``, "Open with" in a file manager)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

READABLE = "PNG, JPEG, WebP or TIFF"


def check_openable(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Split ``paths`` into files worth trying and a clear message for each of the others.

    Only what can be told without reading the file is checked here (a folder, a path that
    does not exist); whether a file is an image the Canvas can read is the image loader's
    call, with its own messages.
    """
    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            problems.append(f"'{path.name or path}' is a folder: open a photo ({READABLE}).")
        elif not path.exists():
            problems.append(f"'{path}' does not exist.")
        elif not path.is_file():
            problems.append(f"'{path.name}' is not a regular file: open a photo ({READABLE}).")
        else:
            files.append(path)
    return files, problems


def open_first_photo(
    open_path: Callable[[Path], bool], paths: Iterable[str | Path]
) -> tuple[Path | None, list[str]]:
    """Open the first of ``paths`` that ``open_path`` accepts (the Canvas edits one photo at
    a time); returns it (or None) and a message for every path that was not opened."""
    files, problems = check_openable(paths)
    opened: Path | None = None
    for path in files:
        if opened is not None:
            problems.append(f"'{path.name}' was not opened: the Canvas edits one photo at a time.")
        elif open_path(path):
            opened = path
    return opened, problems
