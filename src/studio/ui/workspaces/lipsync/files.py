"""Writing Lipsync's files (no Qt): through a temporary file beside the target that replaces it
only once complete, so a failed write (a full disk, a vanished folder) never leaves half a
file under the user's name nor truncates the one already there.

The same contract as ``studio.core.outputs.atomic_path`` (on the CLI branch); once that lands
in core this module shrinks to an import.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from studio.core.errors import BadInput


def write_error(exc: OSError, target: str | Path) -> BadInput:
    """A :class:`BadInput` saying why ``target`` could not be written (a full disk by name)."""
    name = Path(target).name
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BadInput(
            f"The disk is full: could not write {name}. Free some space or choose another folder.",
            str(exc),
        )
    return BadInput(f"Could not write {name}: {exc.strerror or exc}.", str(exc))


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path next to ``target``, renamed onto it when the block succeeds; on any
    failure it is deleted and ``target`` is untouched. ``OSError`` becomes :class:`BadInput`."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.close(fd)
        os.chmod(name, target.stat().st_mode & 0o777 if target.is_file() else 0o644)
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


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (links and ``..`` resolved)."""
    try:
        if Path(a).exists() and Path(b).exists():
            return os.path.samefile(a, b)
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def copy_atomic(source: str | Path, target: str | Path) -> Path:
    """Copy ``source`` to ``target`` through :func:`atomic_path`; returns ``target``."""
    if not Path(source).is_file():
        raise BadInput(f"{Path(source).name} is no longer there: generate the video again.")
    if same_file(source, target):
        return Path(target)  # already there: copying a file onto itself would empty it
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return Path(target)
