"""The real install path on Linux, into a temporary HOME: ``installers/linux/install.sh``
finds Python and runs ``install.py``, which creates the venv, installs the Studio wheel from
``--find-links`` (offline: ``--no-index``), writes the desktop entry and the uninstaller and
checks the app with ``studio doctor``. An install that fails at one step resumes; running it
again updates in place; the uninstaller leaves nothing but the downloaded models.

To stay offline and fast the app's venv imports the test environment's packages
(``--site-packages-from``), so the torch step finds a torch that fits and keeps it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from studio_install.layout import Target, layout_for

from tests.installers.conftest import INSTALLERS, clean_env

pytestmark = [
    pytest.mark.installer,
    pytest.mark.skipif(sys.platform != "linux", reason="the Linux installer"),
]


def _install(home: Path, links: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        str(INSTALLERS / "linux" / "install.sh"),
        "--python", sys.executable,
        "--site-packages-from", sys.executable,
        "--package", "studio", "--no-index", "--find-links", str(links),
        *extra,
    ]  # fmt: skip
    env = clean_env(home, PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin")
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=home, timeout=900)


def _files(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())


def test_install_resume_update_and_uninstall(studio_wheel, tmp_path):
    home, links = tmp_path / "home", tmp_path / "links"
    home.mkdir()
    links.mkdir()
    lay = layout_for(Target("linux", home, {}))

    # 1. no Studio wheel to be found: the install stops at the studio step
    first = _install(home, links)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "Could not install Studio" in first.stderr + first.stdout
    state = json.loads(Path(lay.journal).read_text())
    assert state["done"] == ["venv", "torch"] and not state["complete"]

    # 2. the wheel is there now: the same command resumes after the last good step
    shutil.copy2(studio_wheel, links)
    second = _install(home, links)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out
    assert "Resuming an interrupted install (done before: venv, torch)" in out
    assert "[1/6] venv: done before, skipped" in out and "[2/6] torch: done before, skipped" in out
    assert "Successfully installed studio" in out and "Studio is installed." in out
    assert json.loads(Path(lay.journal).read_text())["complete"]
    log = Path(lay.log).read_text()
    for step in ("[1/6] venv", "[3/6] studio", "[5/6] shortcut", "[6/6] uninstaller"):
        assert step in log
    assert "Models dir" in log  # studio doctor's report, from the installed app

    # the app runs from its own venv, outside the checkout
    doctor = subprocess.run(
        [str(lay.studio), "doctor", "--json"], capture_output=True, text=True,
        env=clean_env(home), cwd=home, timeout=600,
    )  # fmt: skip
    assert doctor.returncode == 0, doctor.stderr
    assert json.loads(doctor.stdout)["models_dir"] == str(lay.default_models)
    where = subprocess.run(
        [str(lay.python), "-c", "import studio; print(studio.__file__)"],
        capture_output=True, text=True, env=clean_env(home), check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(lay.venv)

    # the desktop entry is valid and points at the app and its icon
    entry = Path(lay.shortcut).read_text()
    assert f"Exec={lay.studio} gui\n" in entry and f"Icon={lay.icon}\n" in entry
    assert Path(lay.icon).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    validate = shutil.which("desktop-file-validate")
    if validate:  # scripts/setup.sh --test installs it (desktop-file-utils)
        checked = subprocess.run([validate, str(lay.shortcut)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout

    # 3. running it again updates in place: every step runs, nothing is resumed
    third = _install(home, links)
    out = third.stdout + third.stderr
    assert third.returncode == 0, out
    assert "Resuming" not in out and "done before" not in out
    assert "Successfully installed studio" in out

    # 4. a downloaded model, then the uninstaller (no terminal: told to keep the models)
    model = Path(lay.default_models) / "taesd" / "diffusion_pytorch_model.safetensors"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"weights")
    gone = subprocess.run(
        [str(lay.uninstaller), "--keep-models"], capture_output=True, text=True,
        env=clean_env(home), cwd=home, stdin=subprocess.DEVNULL, timeout=600,
    )  # fmt: skip
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert _files(home) == [".local/share/Studio/models/taesd/diffusion_pytorch_model.safetensors"]
    assert not any(p.name in ("Studio", "studio") for p in home.rglob("*") if p.is_dir()
                   and p != Path(lay.data))  # fmt: skip
