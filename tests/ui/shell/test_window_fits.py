"""Every workspace fits the main window at 1366x768, at 100 % and at 200 % scale: no side
panel needs a vertical scroll bar, no visible button's text is cut (issue 18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.ui.fit_check import layout_problems

WORKSPACES = ["canvas", "headshots", "lipsync", "live"]
SIZE = (1366, 768)
ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("key", WORKSPACES)
def test_workspace_fits_1366x768(window, qtbot, key):
    window.resize(*SIZE)
    window.show()
    qtbot.waitUntil(lambda: (window.width(), window.height()) == SIZE)
    row = list(window.workspaces).index(key)
    rect = window.nav.visualItemRect(window.nav.item(row))
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_workspace() is window.workspaces[key]
    assert layout_problems(window) == []


@pytest.fixture(scope="module")
def scaled_report(tmp_path_factory):
    """The window at 1366x768 logical pixels with QT_SCALE_FACTOR=2, in a process of its
    own (the scale is read once, when the application starts)."""
    home = tmp_path_factory.mktemp("scaled_home")
    env = {
        **os.environ,
        "QT_SCALE_FACTOR": "2",
        "QT_QPA_PLATFORM": "offscreen",
        "STUDIO_HOME": str(home),  # no settings or window state of another run
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    out = subprocess.run(
        [sys.executable, "-m", "tests.ui.shell.fit_report", f"{SIZE[0]}x{SIZE[1]}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["scale"] == 2.0 and report["size"] == list(SIZE)
    return report


@pytest.mark.parametrize("key", WORKSPACES)
def test_workspace_fits_1366x768_at_200_percent(scaled_report, key):
    assert scaled_report[key] == []
