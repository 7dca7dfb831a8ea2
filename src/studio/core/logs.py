"""Rotating log file under the platformdirs log dir."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from studio.core import paths

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def log_file() -> Path:
    return paths.log_dir() / "studio.log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Send Studio's log records to ``studio.log`` (5 MB x 3 files); returns its path."""
    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_studio", None) not in (None, path)]:
        root.removeHandler(old)  # the log dir moved (STUDIO_HOME changed): follow it
        old.close()
    if not any(getattr(h, "_studio", None) == path for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._studio = path  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path
