"""Output files for every writer (no Qt): checked before the work, written atomically.

:func:`check_output` runs before a long job so that a path that cannot be written (a folder,
a file under a regular file, a missing or read-only folder, a wrong extension, one of the
job's own input files) is refused with a clear message instead of failing after the render.
:func:`atomic_path` gives writers a temporary file in the target's folder that replaces the
target only once it is complete, so a failed write (full disk) never truncates a user's file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
VIDEO_EXTENSIONS = (".mp4",)


def _blocking_file(path: Path) -> Path | None:
    """The nearest ancestor of ``path`` that exists and is not a folder, if any."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _probe_writable(folder: Path) -> str | None:
    """Create and delete a file in ``folder``: the only check that also holds for root and
    read-only file systems. Returns the reason it failed, or None."""
    try:
        fd, name = tempfile.mkstemp(prefix=".studio-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return None


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (links and ``..`` resolved)."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def check_output(
    path: str | Path,
    *,
    inputs: Iterable[str | Path | None] = (),
    extensions: Iterable[str] | None = None,
    create_parent: bool = False,
) -> Path:
    """Refuse an output path that cannot or must not be written; returns it as a Path.

    ``extensions`` (e.g. ``(".mp4",)``) are the ones the writer produces; ``inputs`` are the
    job's input files, which an output must never replace. With ``create_parent`` a missing
    folder is allowed when it can be created (checked, not created here).
    """
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise BadInput(f"'{path}' is not a file name.")
    if path.is_dir():
        raise BadInput(f"'{path}' is a folder; give a file name to write.")
    if extensions is not None:
        allowed = tuple(e.lower() for e in extensions)
        if path.suffix.lower() not in allowed:
            raise BadInput(f"'{path.name}' has the wrong extension: use {', '.join(allowed)}.")
    blocker = _blocking_file(path)
    if blocker is not None:
        raise BadInput(f"Cannot write '{path}': '{blocker}' is a file, not a folder.")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        if not create_parent:
            raise BadInput(f"Cannot write '{path.name}': the folder '{parent}' does not exist.")
        parent = next(p for p in path.parents if p.exists())
    reason = _probe_writable(parent)
    if reason is not None:
        raise BadInput(f"Cannot write in the folder '{parent}': {reason}.")
    for source in inputs:
        if source is not None and same_file(path, source):
            raise BadInput(
                f"The output '{path.name}' is one of the input files; choose another name "
                "so the input is not overwritten."
            )
    return path


def check_output_folder(folder: str | Path, *, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Like :func:`check_output` for a folder that a job fills (created if missing)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"'{folder}' is a file; give a folder to write the images into.")
    blocker = _blocking_file(folder)
    if blocker is not None:
        raise BadInput(f"Cannot write into '{folder}': '{blocker}' is a file, not a folder.")
    existing = folder if folder.is_dir() else next(p for p in folder.parents if p.exists())
    reason = _probe_writable(existing)
    if reason is not None:
        raise BadInput(f"Cannot write in the folder '{existing}': {reason}.")
    for source in inputs:
        if source is not None and same_file(folder, source):
            raise BadInput(f"The output folder '{folder}' is one of the inputs.")
    return folder


def write_error(exc: OSError, target: str | Path) -> BadInput:
    """A :class:`BadInput` that says why writing ``target`` failed (full disk named as such)."""
    name = Path(target).name
    blocker = _blocking_file(Path(target))
    if blocker is not None:  # mkdir under a file says only "File exists" / "Not a directory"
        return BadInput(f"Could not write {name}: '{blocker}' is a file, not a folder.", str(exc))
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BadInput(
            f"The disk is full: could not write {name}. Free some space or choose another folder.",
            str(exc),
        )
    return BadInput(f"Could not write {name}: {exc.strerror or exc}.", str(exc))


@contextlib.contextmanager
def atomic_path(target: str | Path, *, suffix: str = ".part") -> Iterator[Path]:
    """A temporary path next to ``target``; renamed onto it when the block succeeds.

    On any failure the temporary file is deleted and ``target`` (if it existed) is untouched;
    an :class:`OSError` becomes a :class:`BadInput` naming the file.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
        os.close(fd)
        # mkstemp makes the file private (0600); the result gets the usual (or old) mode.
        mode = target.stat().st_mode & 0o777 if target.is_file() else 0o644
        os.chmod(name, mode)
    except OSError as exc:
        raise write_error(exc, target) from exc
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_error(exc, target) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(target: str | Path, text: str) -> Path:
    """Write UTF-8 text through :func:`atomic_path`."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_bytes_atomic(target: str | Path, data: Any) -> Path:
    """Write bytes through :func:`atomic_path`."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(bytes(data))
    return Path(target)
