"""The install log and the step journal that lets an interrupted install resume."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

LOG = logging.getLogger("studio_install")


def setup_log(path: Path) -> None:
    """Every message to ``path`` (appended, with times) and to the console."""
    path.parent.mkdir(parents=True, exist_ok=True)
    LOG.setLevel(logging.INFO)
    for handler in list(LOG.handlers):
        LOG.removeHandler(handler)
        handler.close()
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    to_console = logging.StreamHandler()
    to_console.setFormatter(logging.Formatter("%(message)s"))
    LOG.addHandler(to_file)
    LOG.addHandler(to_console)
    LOG.propagate = False


def write_atomic(path: Path, text: str, newline: str | None = None) -> None:
    """Write through a temporary file and rename, so an interrupted write leaves the old
    file (or none), never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline=newline) as fh:
        fh.write(text)
    os.replace(tmp, path)


class Journal:
    """Which steps of the current install are done (``install-state.json``).

    A run whose plan (``key``) differs from the journal's, or that follows a completed
    install (an update), starts over; otherwise the steps done before are skipped."""

    def __init__(self, path: Path, key: dict[str, Any]) -> None:
        self.path = path
        self.key = key
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        resume = saved.get("key") == key and not saved.get("complete")
        self.done: list[str] = list(saved.get("done", [])) if resume else []
        self.resumed = bool(self.done)

    def is_done(self, step: str) -> bool:
        return step in self.done

    def mark(self, step: str) -> None:
        self.done.append(step)
        self._save(False)

    def complete(self) -> None:
        self._save(True)

    def _save(self, complete: bool) -> None:
        state = {"key": self.key, "done": self.done, "complete": complete}
        write_atomic(self.path, json.dumps(state, indent=1))
