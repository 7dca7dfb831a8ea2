"""Every package the app imports at run time is declared in ``[project] dependencies``
itself (not just pulled in by another package, which may drop it): a wheel installed by pip
alone must run. ``studio.server`` and ``studio.remote`` may also use the ``server`` extra
(``pip install studio[server]``), which ``studio serve`` and ``--server`` ask for."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from tests.installers.conftest import ROOT

SERVER_PARTS = ("server", "remote", "clis/serve.py")


def _imported_top_level(server: bool = False) -> set[str]:
    """Top-level modules imported by the app (``server``: by studio.server/studio.remote;
    otherwise by everything else)."""
    names: set[str] = set()
    for path in (ROOT / "src" / "studio").rglob("*.py"):
        relative = path.relative_to(ROOT / "src" / "studio").as_posix()
        if relative.startswith(SERVER_PARTS) != server:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"studio", "__future__"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


# Declared packages that are installed as several distributions (a meta package).
PARTS = {"pyside6": {"pyside6-essentials", "pyside6-addons", "shiboken6"}}


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    if extra:
        requirements += project["optional-dependencies"][extra]
    names = {_name(r) for r in requirements}
    return names.union(*(PARTS.get(n, set()) for n in names))


def _providers() -> dict[str, set[str]]:
    """Top-level module -> distributions, from each distribution's file list (some wheels'
    ``top_level.txt`` omits a package: dlib-bin names only its extension module)."""
    provided: dict[str, set[str]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        for file in dist.files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", ".data")) or top in ("..", "__pycache__"):
                continue
            provided.setdefault(top.split(".")[0], set()).add(name)
    return provided


def _undeclared(modules: set[str], declared: set[str]) -> dict[str, object]:
    provided = _providers()
    missing: dict[str, object] = {}
    for module in sorted(modules):
        dists = {_name(d) for d in provided.get(module, [])}
        if not dists & declared:
            missing[module] = sorted(dists) or "not installed"
    return missing


def test_every_run_time_import_is_declared():
    missing = _undeclared(_imported_top_level(), _declared())
    assert not missing, f"imported but not declared in [project] dependencies: {missing}"


def test_every_server_import_is_in_the_server_extra():
    missing = _undeclared(_imported_top_level(server=True), _declared("server"))
    assert not missing, f"imported by the server but not declared in its extra: {missing}"


def test_the_check_sees_scipy_and_scikit_image():
    imported = _imported_top_level()
    assert {"scipy", "skimage", "torch", "PySide6"} <= imported
    assert {"scipy", "scikit-image"} <= _declared()
