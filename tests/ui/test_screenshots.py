"""Screenshots of every workspace in both themes, at 1366x768 and at 200 % scale.

The real main window over real services (stand-in runners: no model is needed to show a
workspace). Each grab is checked (size, not blank, dark darker than light) and kept in
tmp_path; with ``STUDIO_SCREENSHOT_DIR`` set they are also saved there as
``<workspace>-<theme>.png`` (``scripts/screenshots.py`` does that for the README).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from studio.ui.shell.main_window import WORKSPACES
from studio.ui.widgets.images import qimage_to_array
from studio.ui.widgets.theme import apply_theme
from tests.ui.shell.harness import window  # noqa: F401 - a fixture
from tests.ui.test_theme import app  # noqa: F401 - a fixture: the app's look put back after

SIZE = (1366, 768)
THEMES = ("dark", "light")
REPO = Path(__file__).resolve().parents[2]


def show_workspace(qtbot, win, row: int) -> None:
    """Click the workspace's entry in the navigation list, as a user would."""
    nav = win.nav
    centre = nav.visualItemRect(nav.item(row)).center()
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: win.pages.currentIndex() == row)


def test_every_workspace_in_both_themes(app, window, qtbot, tmp_path):  # noqa: F811 - fixtures
    save_to = os.environ.get("STUDIO_SCREENSHOT_DIR")
    # 1 normally; 2 when run with QT_SCALE_FACTOR=2 (test_the_window_at_200_percent)
    scale = float(os.environ.get("QT_SCALE_FACTOR", "1"))
    window.resize(*SIZE)
    QApplication.processEvents()
    assert (window.width(), window.height()) == SIZE, (
        f"the window cannot be {SIZE[0]}x{SIZE[1]}; its layout needs"
        f" {window.minimumSizeHint().width()}x{window.minimumSizeHint().height()}"
    )
    assert window.devicePixelRatio() == scale
    means: dict[tuple[str, str], float] = {}
    for theme in THEMES:
        assert apply_theme(app, theme) == theme
        for row, (key, _title, _page) in enumerate(WORKSPACES):
            show_workspace(qtbot, window, row)
            QApplication.processEvents()  # pending layouts and paints
            shot = window.grab()
            name = f"{key}-{theme}.png"
            assert shot.save(str(tmp_path / name))
            if save_to:
                Path(save_to).mkdir(parents=True, exist_ok=True)
                assert shot.save(str(Path(save_to) / name))
            pixels = qimage_to_array(shot.toImage())
            assert pixels.shape[:2] == (round(SIZE[1] * scale), round(SIZE[0] * scale))
            assert pixels.std() > 10, f"{name} is (nearly) one colour"
            means[key, theme] = float(pixels.mean())
    for key, _title, _page in WORKSPACES:
        assert means[key, "dark"] + 40 < means[key, "light"], key
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        f"{key}-{theme}.png" for key, _t, _p in WORKSPACES for theme in THEMES
    )


def test_the_window_at_200_percent(tmp_path):
    """Run the screenshots at QT_SCALE_FACTOR=2 in a fresh process (the factor is read at
    start): 2732x1536 grabs, drawn at full resolution, not a 1366x768 image blown up."""
    shots = tmp_path / "shots"
    env = {
        **os.environ,
        "QT_SCALE_FACTOR": "2",
        "QT_QPA_PLATFORM": "offscreen",
        "STUDIO_SCREENSHOT_DIR": str(shots),
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    test = f"{Path(__file__).resolve()}::test_every_workspace_in_both_themes"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
         str(tmp_path / "inner"), test],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    from PIL import Image

    for key, _title, _page in WORKSPACES:
        with Image.open(shots / f"{key}-dark.png") as image:
            assert image.size == (2732, 1536)
            pixels = np.asarray(image.convert("L"), dtype=np.int16)
        # A 1x image blown up to 2x repeats each pixel in 2x2 blocks (or blurs them
        # evenly); text drawn at 2x has edges inside the blocks. Count blocks whose four
        # pixels differ sharply: about 5000-8000 here, 0 for a 1x grab upscaled nearest,
        # bilinear or bicubic, about 1700 even with Lanczos.
        blocks = pixels.reshape(768, 2, 1366, 2).transpose(0, 2, 1, 3).reshape(768, 1366, 4)
        sharp = (blocks.max(axis=2) - blocks.min(axis=2)) > 96
        assert sharp.sum() > 2000, f"{key}: {sharp.sum()} sharp 2x2 blocks; upscaled?"
