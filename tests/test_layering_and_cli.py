"""Qt-free layers, the CLI (doctor, models), logging and the crash dialog."""

from __future__ import annotations

import json
import logging
import pkgutil
import subprocess
import sys
import textwrap

import studio
from studio.cli import main


def test_core_models_pipelines_import_without_qt():
    """Import every module of the Qt-free packages with PySide6 made unimportable."""
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'shiboken6', 'superqt'):
                    raise ImportError('Qt is not allowed here: ' + name)
        sys.meta_path.insert(0, Block())
        import studio
        for pkg in ('core', 'models', 'pipelines'):
            mod = importlib.import_module('studio.' + pkg)
            for info in pkgutil.walk_packages(mod.__path__, 'studio.' + pkg + '.'):
                importlib.import_module(info.name)
        import studio.services.model_cache, studio.services.jobs, studio.services.headless
        print('ok', [m for m in sys.modules if m.startswith('PySide6')])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok []"


def test_every_module_is_small():
    import pathlib

    root = pathlib.Path(studio.__file__).parent
    big = {p.name: n for p in root.rglob("*.py") if (n := len(p.read_text().splitlines())) > 500}
    assert not big


def test_doctor_reports_python_torch_cuda_and_models(capsys):
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["python"].startswith("3.")
    assert report["torch"] and report["cuda_available"] is False
    ids = {m["id"] for m in report["models"]}
    assert {"sam-vit-b", "sd-turbo"} <= ids
    assert not any(m["installed"] for m in report["models"])
    assert main(["doctor"]) == 0
    text = capsys.readouterr().out
    assert "GPU           none found" in text and "0 of" in text


def test_models_list_verify_delete(capsys, tmp_path, monkeypatch):
    from studio.services.headless import default_store
    from tests.fixtures.install import install_built

    store = default_store()
    install_built(store, "taesd", lambda d: (d / "config.json").write_text("{}"))
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "taesd" in listing and "installed" in listing and "[non-commercial]" in listing
    assert main(["models", "verify"]) == 0
    assert "taesd: ok" in capsys.readouterr().out
    (store.root / "taesd" / "config.json").write_text("changed")
    assert main(["models", "verify", "taesd"]) == 1
    assert "changed: config.json" in capsys.readouterr().out
    assert main(["models", "delete", "taesd"]) == 0
    assert not store.is_installed("taesd")


def test_cli_errors_are_one_line_messages(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["models", "download", "no-such-model"]) == 2
    assert "unknown model id" in capsys.readouterr().err
    assert main(["models", "download", "taesd"]) == 2
    err = capsys.readouterr().err
    assert "error: Could not download config.json" in err and "Traceback" not in err


def test_log_file_is_written(tmp_path):
    from studio.core.logs import log_file, setup_logging

    path = setup_logging()
    logging.getLogger("studio.test").info("hello from the test")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert path == log_file() and "hello from the test" in path.read_text()


def test_excepthook_shows_dialog_instead_of_crashing(qtbot):
    from PySide6.QtWidgets import QMessageBox

    from studio.ui.errors import install_excepthook

    old = sys.excepthook
    try:
        install_excepthook(lambda: None)
        try:
            raise ValueError("kaboom")
        except ValueError:
            sys.excepthook(*sys.exc_info())
        boxes = [
            w
            for w in __import__("PySide6.QtWidgets").QtWidgets.QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and "kaboom" in w.text()
        ]
        assert boxes and "Traceback" in boxes[0].detailedText()
        assert "studio.log" in boxes[0].informativeText()
        for box in boxes:
            box.close()
    finally:
        sys.excepthook = old


def test_workspace_clis_are_registered():
    import studio.clis
    from studio.cli import build_parser

    parser = build_parser()
    names = [i.name for i in pkgutil.iter_modules(studio.clis.__path__)]
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in names:
        assert name in sub.choices
