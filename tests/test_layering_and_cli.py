"""Layers (Qt-free packages, torch-free UI, import-linter contracts), the workspaces' shared
shape, the CLI (doctor, models), logging and the crash dialog."""

from __future__ import annotations

import importlib
import json
import logging
import os
import pathlib
import pkgutil
import subprocess
import sys
import textwrap

import pytest

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


ROOT = pathlib.Path(studio.__file__).parent
REPO = pathlib.Path(__file__).resolve().parents[1]
# Over the limit and owned by other work in flight; remove an entry when its module is split.
WORKSPACES = {
    "canvas": "CanvasWorkspace",
    "headshots": "HeadshotsWorkspace",
    "lipsync": "LipsyncWorkspace",
    "live": "LiveWorkspace",
}


def test_every_module_is_under_400_lines():
    big = {
        p.relative_to(ROOT).as_posix(): n
        for p in ROOT.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert not big


def test_ui_modules_import_without_torch():
    """The window opens fast: no studio.ui module imports torch (or cv2, diffusers) when
    imported; pipelines are imported for their request dataclasses only."""
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        import studio.ui
        names = [i.name for i in pkgutil.walk_packages(studio.ui.__path__, 'studio.ui.')]
        for name in names:
            importlib.import_module(name)
        heavy = sorted(m for m in ('torch', 'cv2', 'diffusers', 'transformers') if m in sys.modules)
        print(len(names), heavy)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert out.returncode == 0, out.stderr
    count, heavy = out.stdout.split(" ", 1)
    assert int(count) >= 25 and heavy.strip() == "[]"


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT.parent), str(REPO)])}
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", "--no-logo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=env,
    )


def test_import_contracts_hold():
    """The layers of pyproject.toml's [tool.importlinter]: Qt-free core, models and
    pipelines; QtCore-only services; core below everything; independent workspace UIs."""
    out = _lint_imports()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "broken" in out.stdout and " 0 broken" in out.stdout


def test_submodule_contract_catches_a_widget_import(tmp_path):
    """The custom contract for PySide6 submodules reports the importing line."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        textwrap.dedent("""
            [tool.importlinter]
            root_package = "studio"
            include_external_packages = true
            contract_types = [
                "forbidden_submodules: scripts.import_contracts.ForbiddenSubmodulesContract"
            ]

            [[tool.importlinter.contracts]]
            name = "the shell without widgets (false on purpose)"
            type = "forbidden_submodules"
            source_modules = ["studio.ui.shell"]
            forbidden_modules = ["PySide6.QtWidgets"]
        """)
    )
    out = _lint_imports(str(config))
    assert out.returncode == 1
    assert "studio.ui.shell.main_window" in out.stdout and "PySide6.QtWidgets" in out.stdout


@pytest.mark.parametrize("workspace", sorted(WORKSPACES))
def test_workspace_has_the_same_shape(workspace):
    """UI, pipeline, CLI and tests of a workspace sit at the same relative path, and each
    UI package is assembled by its workspace.py."""
    from PySide6.QtWidgets import QWidget

    from studio.ui.shell.main_window import WORKSPACES as PAGES

    package = ROOT / "ui" / "workspaces" / workspace
    assert (package / "__init__.py").is_file() and (package / "workspace.py").is_file()
    module = importlib.import_module(f"studio.ui.workspaces.{workspace}.workspace")
    page_class = getattr(module, WORKSPACES[workspace])
    assert module.__all__ == [WORKSPACES[workspace]]
    assert issubclass(page_class, QWidget) and page_class.__module__ == module.__name__
    assert (workspace, page_class) in [(key, cls) for key, _title, cls in PAGES]
    for path in package.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path
    assert (ROOT / "pipelines" / workspace / "__init__.py").is_file()
    assert (ROOT / "clis" / f"{workspace}.py").is_file()
    assert list((REPO / "tests" / workspace).glob("test_workspace*.py"))


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

    from studio.ui.shell.errors import install_excepthook

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
