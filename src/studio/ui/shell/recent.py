"""File > Open Recent: the last files opened or exported in any workspace, newest first,
kept in the window's settings file (``window.ini``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

RECENT_KEY = "recent_files"
RECENT_LIMIT = 10


class RecentFiles(QObject):
    """Up to :data:`RECENT_LIMIT` ``(workspace key, path)`` entries, newest first.

    Stored as one JSON string: an ini list of one item reads back as a plain string.
    """

    changed = Signal()

    def __init__(self, open_settings: Callable[[], QSettings], parent: QObject | None = None):
        super().__init__(parent)
        self._open_settings = open_settings

    def entries(self) -> list[tuple[str, str]]:
        raw = self._open_settings().value(RECENT_KEY, "[]")
        try:
            items = json.loads(raw) if isinstance(raw, str) else []
        except ValueError:
            return []  # a hand-edited file: start a new list rather than fail
        return [
            (str(item[0]), str(item[1]))
            for item in items
            if isinstance(item, list) and len(item) == 2
        ][:RECENT_LIMIT]

    def add(self, workspace: str, path: str | Path) -> None:
        """Put ``path`` (opened in ``workspace``) first; an older mention of it goes."""
        path = str(Path(path).expanduser().absolute())
        kept = [(w, p) for w, p in self.entries() if p != path]
        self._save([(workspace, path), *kept][:RECENT_LIMIT])

    def remove(self, path: str) -> None:
        self._save([(w, p) for w, p in self.entries() if p != path])

    def clear(self) -> None:
        self._save([])

    def _save(self, entries: list[tuple[str, str]]) -> None:
        settings = self._open_settings()
        settings.setValue(RECENT_KEY, json.dumps([list(e) for e in entries]))
        settings.sync()
        self.changed.emit()


def menu_label(index: int, path: str, workspace_title: str) -> str:
    """``&1 photo.png  (Canvas)``: a number key for the first nine, ``&`` in names doubled."""
    name = Path(path).name.replace("&", "&&")
    number = f"&{index + 1} " if index < 9 else f"{index + 1} "
    return f"{number}{name}  ({workspace_title})"
