"""Every package the app imports at run time is declared in ``[project] dependencies``
itself (not just pulled in by another package, which may drop it): a wheel installed by pip
alone must run. The parts behind an extra may also use it: ``studio.server`` and
``studio.remote`` the ``server`` extra (``studio serve``, ``--server``), ``studio.scaleout``
and its commands the ``scale`` extra (with ``server``), the virtual camera ``virtualcam``."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

import pytest

from tests.installers.conftest import ROOT

# extra -> the parts of src/studio that may use it (and the extras they may use)
EXTRA_PARTS = {
    "server": ("server", "remote"),
    "scale": ("scaleout", "clis/serve.py", "clis/worker.py", "clis/batch.py", "clis/workers.py"),
    "virtualcam": ("pipelines/live/virtual_camera.py",),
}
# `studio serve` is the server; with --broker it also needs the scale extra.
EXTRAS_USED = {"server": ("server",), "scale": ("server", "scale"), "virtualcam": ("virtualcam",)}


def _part(relative: str) -> str | None:
    return next((e for e, parts in EXTRA_PARTS.items() if relative.startswith(parts)), None)


def _imported_top_level(extra: str | None = None) -> set[str]:
    """Top-level modules imported by the app (``extra``: by the parts behind that extra;
    None: by everything else)."""
    names: set[str] = set()
    for path in (ROOT / "src" / "studio").rglob("*.py"):
        relative = path.relative_to(ROOT / "src" / "studio").as_posix()
        if _part(relative) != extra:
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
    for name in EXTRAS_USED.get(extra, ()) if extra else ():
        requirements += project["optional-dependencies"][name]
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


@pytest.mark.parametrize("extra", sorted(EXTRA_PARTS))
def test_every_import_behind_an_extra_is_in_that_extra(extra):
    declared = _declared(extra)
    missing = _undeclared(_imported_top_level(extra), declared)
    # An extra the test install leaves out (virtualcam): its package cannot be looked up,
    # so it must be declared under the module's own name.
    missing = {m: d for m, d in missing.items() if d != "not installed" or _name(m) not in declared}
    assert not missing, f"imported by the {extra} parts but not declared in its extra: {missing}"


def test_the_check_sees_scipy_and_scikit_image():
    imported = _imported_top_level()
    assert {"scipy", "skimage", "torch", "PySide6"} <= imported
    assert {"scipy", "scikit-image"} <= _declared()
