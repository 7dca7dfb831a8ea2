"""The wheel is the whole app: built from this checkout, installed into a fresh venv outside
it, it answers ``studio doctor``, lists the style presets from inside itself and runs a
headless Canvas job with a tiny model."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from tests.fixtures import canvas_models as cm
from tests.fixtures.install import install_built
from tests.installers.conftest import ROOT, clean_env, shared_site_packages

pytestmark = pytest.mark.installer


def test_wheel_holds_every_run_time_data_file(studio_wheel):
    names = set(zipfile.ZipFile(studio_wheel).namelist())
    package_data = [
        p
        for p in (ROOT / "src" / "studio").rglob("*")
        if p.is_file() and p.suffix in (".json", ".png", ".ico") and "__pycache__" not in p.parts
    ]
    assert len(package_data) >= 14 * 2 + 4 + 2  # styles + thumbnails, catalogue, icons
    for path in package_data:
        assert path.relative_to(ROOT / "src").as_posix() in names


@pytest.fixture(scope="module")
def installed(studio_wheel, tmp_path_factory) -> Path:
    """A venv in a folder of its own with the wheel installed; the heavy dependencies come
    from the running environment through a ``.pth`` file (offline, no second torch)."""
    venv = tmp_path_factory.mktemp("app") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "_shared.pth").write_text("\n".join(shared_site_packages()) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(studio_wheel)],
        check=True,
        cwd=venv.parent,
        env=clean_env(venv.parent),
    )
    return venv


def _run(venv: Path, *argv: str, **env: str) -> subprocess.CompletedProcess:
    home = venv.parent / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [str(venv / "bin" / "studio"), *argv],
        capture_output=True,
        text=True,
        cwd=home,
        env=clean_env(home, **env),
        timeout=600,
    )


def test_studio_doctor_runs_from_the_installed_wheel(installed):
    out = _run(installed, "doctor", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["torch"] and len(report["models"]) >= 20
    assert report["models_dir"].startswith(str(installed.parent / "home"))


def test_style_presets_come_from_inside_the_wheel(installed):
    code = (
        "import json, studio; from studio.pipelines.headshots.styles import list_styles, "
        "styles_dir; s = list_styles(); print(json.dumps([studio.__file__, str(styles_dir()), "
        "len(s), [str(x.thumbnail) for x in s]]))"
    )
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        cwd=installed.parent,
        env=clean_env(installed.parent),
        check=True,
    )
    module, folder, count, thumbs = json.loads(out.stdout)
    assert Path(module).is_relative_to(installed)
    assert Path(folder).is_relative_to(installed) and Path(folder).name == "styles"
    assert count >= 14
    assert all(Path(t).is_relative_to(installed) and Path(t).is_file() for t in thumbs)
    listing = _run(installed, "headshots", "--list-styles")
    assert listing.returncode == 0, listing.stderr
    assert "studio-white" in listing.stdout and "corporate" in listing.stdout


def test_headless_upscale_with_a_tiny_model(installed, tmp_path):
    store = ModelStore(tmp_path / "models", load_catalogue())
    install_built(store, "realesrgan-x4plus", cm.build_tiny_rrdbnet)
    photo = tmp_path / "in.png"
    Image.new("RGB", (40, 30), (200, 120, 60)).save(photo)
    out = tmp_path / "out.png"
    done = _run(
        installed,
        "canvas",
        "upscale",
        "--image",
        str(photo),
        "-o",
        str(out),
        "-q",
        STUDIO_MODELS_DIR=str(store.root),
    )
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (160, 120)
