"""Run as ``python -m tests.ui.shell.fit_report WIDTHxHEIGHT``: open the main window at that
logical size (set QT_SCALE_FACTOR for high-DPI), make each workspace current by a click in
the navigation list, and print ``{workspace: [problem, ...]}`` as JSON on the last line."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main() -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from studio.core.settings import Settings
    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.services.inference import InferenceService
    from studio.ui.shell.main_window import MainWindow
    from tests.ui.fit_check import layout_problems

    width, height = (int(v) for v in sys.argv[1].split("x"))
    app = QApplication([])
    store = ModelStore(Path(tempfile.mkdtemp()) / "models", load_catalogue())
    gpu = InferenceService(store, device="none")
    downloads = InferenceService(store, device="none", name="downloads")
    window = MainWindow(Settings(welcomed=True), store, gpu, downloads)
    window.resize(width, height)
    window.show()
    app.processEvents()
    report: dict[str, object] = {
        "size": [window.width(), window.height()],
        "scale": window.devicePixelRatio(),
    }
    for row, key in enumerate(window.workspaces):
        rect = window.nav.visualItemRect(window.nav.item(row))
        QTest.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        app.processEvents()
        report[key] = layout_problems(window)
    print(json.dumps(report))
    sys.stdout.flush()
    # The services never started: nothing to stop; skip Qt's teardown of the window.
    import os

    os._exit(0)


if __name__ == "__main__":
    main()
