"""Logging and optional caches survive an unwritable or full disk quietly."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from studio.core.cachefiles import try_write_cache
from studio.core.logs import log_file, setup_logging


@pytest.fixture
def clean_root_logger():
    """setup_logging changes the root logger: put back what was there."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    for h in handlers:
        root.removeHandler(h)
    yield root
    for h in list(root.handlers):
        root.removeHandler(h)
        try:
            h.close()
        except OSError:
            pass
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def test_log_goes_to_its_file(clean_root_logger, capsys):
    path = setup_logging()
    logging.getLogger("studio.test").info("hello file")
    for h in clean_root_logger.handlers:
        h.flush()
    assert path == log_file() and "hello file" in path.read_text(encoding="utf-8")
    assert capsys.readouterr().err == ""


def test_unwritable_log_folder_falls_back_to_stderr_quietly(
    clean_root_logger, tmp_path, monkeypatch, capsys
):
    blocker = tmp_path / "home"
    blocker.write_text("a file where STUDIO_HOME's folder should be")
    monkeypatch.setenv("STUDIO_HOME", str(blocker))
    setup_logging()
    log = logging.getLogger("studio.test")
    log.info("not shown on the terminal")
    log.warning("shown once")
    setup_logging()  # a second call (the GUI after the CLI) warns no second time
    err = capsys.readouterr().err
    assert err.count("warning: cannot write the log file") == 1
    assert "shown once" in err and "not shown" not in err
    assert "Logging error" not in err and "Traceback" not in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_full_disk_while_logging_falls_back_to_stderr(
    clean_root_logger, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "home"))
    path = log_file()
    path.parent.mkdir(parents=True)
    path.symlink_to("/dev/full")  # every write fails with ENOSPC, like a full disk
    setup_logging()
    log = logging.getLogger("studio.test")
    for i in range(5):
        log.warning("record %d", i)
    err = capsys.readouterr().err
    assert err.count("warning: cannot write the log file") == 1
    assert "No space left on device" in err
    assert all(f"record {i}" in err for i in range(5))  # none lost, the failed one included
    assert "Logging error" not in err and "Traceback" not in err


def test_cache_write_failure_is_skipped_with_one_warning(tmp_path, caplog):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")

    def write() -> Path:
        folder = blocker / "avatars"
        folder.mkdir(parents=True)
        return folder

    with caplog.at_level(logging.WARNING):
        assert try_write_cache(write, "avatar cache", blocker) is None
    assert [r.getMessage() for r in caplog.records if "avatar cache" in r.getMessage()]
    assert try_write_cache(lambda: 42, "avatar cache") == 42


def test_cache_write_does_not_hide_bugs():
    with pytest.raises(ZeroDivisionError):
        try_write_cache(lambda: 1 / 0, "avatar cache")


def test_stderr_fallback_follows_a_replaced_stderr(clean_root_logger, tmp_path, monkeypatch):
    import io
    import sys

    blocker = tmp_path / "home"
    blocker.write_text("a file where STUDIO_HOME's folder should be")
    monkeypatch.setenv("STUDIO_HOME", str(blocker))
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    setup_logging()  # falls back to the stderr of this moment
    first.close()  # e.g. a console or capture that went away
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("studio.test").warning("still shown")
    assert "still shown" in second.getvalue()
    assert "Logging error" not in second.getvalue()
