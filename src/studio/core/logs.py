"""Rotating log file under the platformdirs log dir, with a quiet fallback to stderr.

When the log folder cannot be created or the file cannot be written (read-only or full
disk, ``STUDIO_HOME`` on a missing drive), Studio must keep working: logging switches to a
stderr handler for warnings and errors, announced by one warning line, instead of printing
a "--- Logging error ---" traceback for every record.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from studio.core import paths

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def log_file() -> Path:
    return paths.log_dir() / "studio.log"


class _FileHandler(logging.handlers.RotatingFileHandler):
    """Studio's log file; on the first failed write it hands over to stderr, once."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)  # a bad format string is a bug: show it
            return
        _fall_back_to_stderr(self, exc)
        if record.levelno >= logging.WARNING:  # the record that failed is not lost
            for handler in logging.getLogger().handlers:
                if getattr(handler, "_studio_stderr", False):
                    handler.handle(record)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes, not what it was at set-up
    (a replaced or closed stream, e.g. a redirected console, must not break logging)."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # type: ignore[no-untyped-def]
        pass


def _fall_back_to_stderr(
    failed: logging.Handler | None, exc: OSError, path: Path | None = None
) -> None:
    root = logging.getLogger()
    target = path or getattr(failed, "_studio", None)
    if failed is not None:
        root.removeHandler(failed)
        try:
            failed.close()
        except OSError:
            pass  # closing flushes, which fails the same way
    if not any(getattr(h, "_studio_stderr", False) for h in root.handlers):
        handler = _CurrentStderr()
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._studio_stderr = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        reason = exc.strerror or exc
        print(
            f"warning: cannot write the log file {target} ({reason}); "
            "warnings and errors go to the terminal instead.",
            file=sys.stderr,
        )


def setup_logging(level: int = logging.INFO) -> Path:
    """Send Studio's log records to ``studio.log`` (5 MB x 3 files); returns its path.

    If the file cannot be opened or later written, records at WARNING and above go to
    stderr instead (one warning line says so); nothing is raised.
    """
    path = log_file()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_studio", None) not in (None, path)]:
        root.removeHandler(old)  # the log dir moved (STUDIO_HOME changed): follow it
        old.close()
    if not any(getattr(h, "_studio", None) == path for h in root.handlers):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = _FileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
        except OSError as exc:
            _fall_back_to_stderr(None, exc, path)
        else:
            handler.setFormatter(logging.Formatter(FORMAT))
            handler._studio = path  # type: ignore[attr-defined]
            root.addHandler(handler)
            for h in [h for h in root.handlers if getattr(h, "_studio_stderr", False)]:
                root.removeHandler(h)  # the file works again (a new STUDIO_HOME)
    root.setLevel(min(root.level or level, level))
    return path
