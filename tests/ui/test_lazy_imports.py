"""Start-up stays light: the main window's modules load no numpy, PIL or HTTP client, and
building the window neither asks the audio system for microphones nor makes the Lipsync video
player (which starts Qt's FFmpeg backend): the Lipsync page does both when it is first shown.

Each check runs in a fresh interpreter: this test process has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

# Modules that cost start-up time and that no window module needs before a job runs.
HEAVY_AT_IMPORT = (
    "numpy",
    "PIL",
    "http.client",
    "urllib.request",
    "sounddevice",
    "torch",
    "cv2",
    "scipy",
    "PySide6.QtMultimedia",
)


def _run(code: str, tmp_path) -> dict:
    """Run ``code`` in a fresh interpreter (offscreen Qt, its own STUDIO_HOME); the JSON
    object it prints last."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "STUDIO_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_main_window_loads_no_numpy_pil_or_http(tmp_path):
    report = _run(
        f"""
        import json, sys
        import studio.ui.shell.main_window
        heavy = {HEAVY_AT_IMPORT!r}
        print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
        """,
        tmp_path,
    )
    assert report == []


def test_lipsync_makes_its_player_and_lists_microphones_when_first_shown(tmp_path):
    """The window is built and shown on the Canvas without asking the audio system for
    microphones or making the Lipsync video player; a click on Lipsync brings both."""
    report = _run(
        """
        import json, sys
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        from studio.core.settings import Settings
        from studio.models.catalogue import load_catalogue
        from studio.models.store import ModelStore
        from studio.services.inference import InferenceService
        from studio.ui.shell.main_window import MainWindow

        app = QApplication([])
        store = ModelStore(Settings().resolved_models_dir(), load_catalogue())
        gpu = InferenceService(store, device="none")
        downloads = InferenceService(store, device="none", name="downloads")
        win = MainWindow(Settings(welcomed=True), store, gpu, downloads)
        win.show()
        app.processEvents()
        from studio.ui.workspaces.lipsync.workspace import LipsyncWorkspace
        (page,) = win.findChildren(LipsyncWorkspace)
        before = {
            "page": win.nav.currentItem().text(),
            "sounddevice": "sounddevice" in sys.modules,
            "player": page.player is not None,
            "microphones_listed": page.speech.device_box.count(),
        }
        row = next(i for i in range(win.nav.count()) if win.nav.item(i).text() == "Lipsync")
        rect = win.nav.visualItemRect(win.nav.item(row))
        QTest.mouseClick(win.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        app.processEvents()
        try:
            import PySide6.QtMultimediaWidgets  # noqa: F401
            multimedia = True
        except ImportError:
            multimedia = False
        after = {
            "visible": page.isVisible(),
            "player": page.player is not None,
            "multimedia": multimedia,
            "microphones_listed": page.speech.device_box.count(),
            "record_tooltip": page.speech.record_button.toolTip(),
        }
        print(json.dumps({"before": before, "after": after}))
        """,
        tmp_path,
    )
    before, after = report["before"], report["after"]
    assert before == {
        "page": "Canvas",
        "sounddevice": False,
        "player": False,
        "microphones_listed": 0,
    }
    assert after["visible"]
    assert after["player"] == after["multimedia"]  # made, wherever QtMultimedia is installed
    assert after["microphones_listed"] >= 1  # a microphone, or "No microphone found"
    assert after["record_tooltip"]  # says what Record does, or why it cannot
