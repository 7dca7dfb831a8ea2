"""The Canvas in the real main window at 1366x768: nothing of its side panel needs scrolling,
no button text is cut and the tool bar shows every tool (a screenshot of it to look at); its
keys work there."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar

from studio.core.settings import Settings
from studio.services.inference import InferenceService
from studio.ui.shell.main_window import MainWindow
from tests.canvas.conftest import open_file, square_mask
from tests.ui.fit_check import layout_problems
from tests.ui.shell.harness import close_and_wait


@pytest.fixture
def small_window(qtbot, store):
    gpu = InferenceService(store, device="cpu")
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    # Not qtbot.addWidget: closing waits for the services, so the fixture closes it itself.
    win = MainWindow(Settings(welcomed=True), store, gpu, downloads)
    gpu.start()
    downloads.start()
    win.resize(1366, 768)
    win.nav.setCurrentRow(0)
    win.show()
    qtbot.waitExposed(win)
    canvas = win.workspaces["canvas"]
    yield win, canvas
    canvas.doc.stack.setClean()
    close_and_wait(qtbot, win)


def hidden_tools(toolbar: QToolBar) -> list[str]:
    """Actions the tool bar had no room for (they go behind its » extension button)."""
    return [
        a.text()
        for a in toolbar.actions()
        if not a.isSeparator()
        and toolbar.widgetForAction(a) is not None
        and not toolbar.widgetForAction(a).isVisible()
    ]


def test_canvas_fits_1366x768(small_window, qtbot, photo_file, tmp_path):
    win, canvas = small_window
    assert win.width() == 1366 and win.height() == 768
    assert layout_problems(win) == []
    assert hidden_tools(canvas.toolbar) == []

    open_file(qtbot, canvas, photo_file)
    canvas.doc.set_mask(square_mask(canvas.doc.image.shape), "Brush")
    canvas.panel.prompt.setText("a calm blue sky")
    assert layout_problems(win) == []
    shot = tmp_path / "canvas-1366x768.png"
    assert win.grab().save(str(shot)) and shot.stat().st_size > 10_000

    qtbot.mouseClick(canvas.panel.more_button, Qt.MouseButton.LeftButton)  # unfolded: fits
    assert canvas.panel.steps.isVisible() and layout_problems(win) == []
    assert win.grab().save(str(tmp_path / "canvas-1366x768-more.png"))


def test_ctrl_z_in_the_main_window_undoes_one_step(small_window, qtbot, photo_file):
    """Whoever owns Ctrl+Z there (the window's Edit menu, or the workspace while the window
    has none), one press is one undo: two owners would cancel each other out."""
    from PySide6.QtWidgets import QApplication

    win, canvas = small_window
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    open_file(qtbot, canvas, photo_file)
    canvas.doc.set_mask(square_mask(canvas.doc.image.shape), "Brush")
    canvas.doc.set_mask(square_mask(canvas.doc.image.shape, 0, 10), "Brush")
    view = canvas.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.rect().topLeft())
    assert QApplication.focusWidget() is view
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert canvas.doc.stack.index() == 1
    qtbot.keyClick(view, Qt.Key.Key_B)  # the tool keys work in the window too
    assert view.tool == "brush"


def test_expand_dialog_and_words_fit_1366x768(small_window, qtbot, photo_file, tmp_path):
    """The panel with words typed and the Expand dialog open: nothing cut, no scroll bar,
    every dialog control with its own Alt letter (screenshots of both to look at)."""
    from tests.ui.mnemonics import assert_unique_mnemonics

    win, canvas = small_window
    open_file(qtbot, canvas, photo_file)
    canvas.panel.words.setText("the astronaut")
    canvas.panel.prompt.setText("a calm blue sky")
    assert canvas.panel.words_button.isEnabled() and canvas.panel.expand_button.isEnabled()
    assert layout_problems(win) == []
    assert win.grab().save(str(tmp_path / "canvas-words-1366x768.png"))
    qtbot.mouseClick(
        canvas.toolbar.widgetForAction(canvas.toolbar.expand_action), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: canvas.expand_box is not None and canvas.expand_box.isVisible())
    box = canvas.expand_box
    assert layout_problems(box) == []
    assert_unique_mnemonics(box)
    assert box.grab().save(str(tmp_path / "expand-dialog.png"))
    assert canvas.expand_handles.active  # the new canvas's frame and handles on the view
    assert win.grab().save(str(tmp_path / "canvas-expand-handles.png"))
    qtbot.mouseClick(box.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: canvas.expand_box is None)
