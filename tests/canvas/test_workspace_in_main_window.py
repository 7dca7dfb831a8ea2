"""The workspace inside the real main window: closing with unsaved edits asks first."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from studio.core.settings import Settings
from studio.services.inference import InferenceService
from studio.ui.shell.main_window import MainWindow
from studio.ui.workspaces.canvas.workspace import CanvasWorkspace
from tests.canvas.conftest import open_file


def test_main_window_close_asks_about_unsaved_canvas(qtbot, store, photo_file):
    gpu = InferenceService(store, device="cpu")
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    win = MainWindow(Settings(welcomed=True), store, gpu, downloads)
    qtbot.addWidget(win)
    gpu.start()
    downloads.start()
    canvas = win.workspaces["canvas"]
    assert isinstance(canvas, CanvasWorkspace)
    win.show()
    open_file(qtbot, canvas, photo_file)
    canvas.controller.mask_op("invert")

    def press(button):
        QTimer.singleShot(
            0, lambda: QTest.mouseClick(canvas.close_box.button(button), Qt.MouseButton.LeftButton)
        )

    press(QMessageBox.StandardButton.Cancel)
    assert not win.close()
    assert win.isVisible() and gpu._thread.isRunning()
    press(QMessageBox.StandardButton.Discard)
    with qtbot.waitSignal(win.closed, timeout=30000):  # the services stop off the event loop
        win.close()
    assert not gpu._thread.isRunning()
