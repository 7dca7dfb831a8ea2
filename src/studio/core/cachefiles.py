"""Best-effort writes of optional caches: a cache that cannot be written is skipped, not fatal.

A cache only saves time on the next run, so a full disk, a read-only cache folder or a
``STUDIO_HOME`` on a missing drive must not abort the job that produced the result::

    try_write_cache(lambda: _save(avatar, root), "lipsync avatar cache", root)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def try_write_cache(write: Callable[[], T], what: str, where: Path | str = "") -> T | None:
    """``write()``'s result, or None (one warning logged) when it fails with an OSError.

    Only file-system errors are swallowed; the writer must itself leave no half-written
    entry that a later read would trust (write to a temporary name, then rename).
    """
    try:
        return write()
    except OSError as exc:
        place = f" in {where}" if where else ""
        log.warning("could not write the %s%s (%s); continuing without it", what, place, exc)
        return None
