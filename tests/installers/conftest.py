"""Fixtures for the installer and wheel tests: the installer's package on ``sys.path`` (it
is run as a script, not installed), a wheel built from this checkout, and a clean
environment for child processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLERS = ROOT / "installers"
sys.path.insert(0, str(INSTALLERS))


@pytest.fixture(scope="session")
def studio_wheel(tmp_path_factory) -> Path:
    """``studio-*.whl`` built from a copy of this checkout (the checkout gets no build/ or
    egg-info), offline: setuptools comes from the running environment."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    dist = tmp / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(dist),
            str(src),
        ],
        check=True,
        cwd=tmp,
        env=clean_env(tmp),
    )
    (wheel,) = dist.glob("studio-*.whl")
    return wheel


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user whose home is ``home``: nothing points at this checkout
    (no PYTHONPATH) and no Studio or XDG folder is moved."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "STUDIO_HOME", "STUDIO_MODELS_DIR", "STUDIO_STYLES_DIR")
        and not k.startswith("XDG_")
    }
    env.update(HOME=str(home), **extra)
    return env


def shared_site_packages() -> list[str]:
    """The running environment's package folders (torch & co. are already there)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
