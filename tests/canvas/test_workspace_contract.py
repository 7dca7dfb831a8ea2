"""The Canvas side of the menus-to-workspace contract (studio.ui.shell.workspace_actions):
what is enabled when, running actions, the signals the window shows, and one undo per key
press whether the window or the workspace owns Ctrl+Z."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow

from studio.ui.shell import workspace_actions as contract
from studio.ui.workspaces.canvas.workspace import CanvasWorkspace
from tests.canvas.conftest import open_file, square_mask
from tests.ui.clicking import answer_file_dialog

CTRL = Qt.KeyboardModifier.ControlModifier
run = contract.run_action


def enabled(ws):
    return {name for name in contract.ACTIONS if contract.action_enabled(ws, name)}


def test_what_is_enabled_follows_the_document(workspace, qtbot, photo_file):
    ws = workspace
    assert enabled(ws) == {"open"}
    with qtbot.waitSignal(ws.actions_changed):
        open_file(qtbot, ws, photo_file)
    assert enabled(ws) == {
        "open", "export", "export_as", "select_all", "invert_selection", "fit",
        "actual_size", "before_after",
    }  # fmt: skip
    with qtbot.waitSignal(ws.actions_changed):
        ws.doc.set_mask(square_mask(ws.doc.image.shape), "Brush")
    assert {"undo", "select_none"} <= enabled(ws) and "redo" not in enabled(ws)
    assert not ws.action_enabled("no_such_action")


def test_edit_and_view_actions_run_through_the_contract(workspace, qtbot, photo_file):
    ws = workspace
    open_file(qtbot, ws, photo_file)
    assert contract.run_action(ws, "select_all") and ws.doc.mask.all()
    assert contract.run_action(ws, "invert_selection") and not ws.doc.mask.any()
    assert not contract.run_action(ws, "select_none")  # nothing selected: disabled
    assert contract.run_action(ws, "undo") and ws.doc.mask.all()
    assert contract.run_action(ws, "redo") and not ws.doc.mask.any()
    assert contract.run_action(ws, "undo") and contract.run_action(ws, "select_none")
    assert not ws.doc.mask.any() and ws.history.labels() == ["Original"]

    assert contract.run_action(ws, "actual_size") and abs(ws.view.zoom - 1.0) < 1e-6
    assert contract.run_action(ws, "fit") and ws.view.zoom > 1.5
    assert contract.run_action(ws, "before_after")
    assert ws.toolbar.compare_action.isChecked() and ws.view.before_clip.isVisible()
    assert contract.run_action(ws, "before_after") and not ws.view.before_clip.isVisible()


def test_export_says_where_it_saved_and_export_again_asks_no_more(
    workspace, qtbot, photo_file, tmp_path
):
    ws = workspace
    opened = []
    ws.opened_file.connect(opened.append)
    open_file(qtbot, ws, photo_file)
    assert opened == [str(photo_file)]
    ws.doc.set_mask(square_mask(ws.doc.image.shape), "Brush")
    out = tmp_path / "out" / "edited.png"
    out.parent.mkdir()
    answer_file_dialog(qtbot, out)
    with qtbot.waitSignal(ws.notify, timeout=15000) as told:
        assert contract.run_action(ws, "export")  # the first time it asks where
    assert told.args == [f"Saved to {out}"] and out.is_file()
    assert opened == [str(photo_file), str(out)] and not ws.doc.dirty
    out.unlink()
    ws.doc.set_mask(square_mask(ws.doc.image.shape, 0, 10), "Brush")
    with qtbot.waitSignal(ws.notify, timeout=15000) as told:  # no dialog: the same file
        assert contract.run_action(ws, "export")
    assert told.args == [f"Saved to {out}"] and out.is_file() and not ws.doc.dirty


def test_open_recent_and_the_shortcuts_sheet(workspace, qtbot, photo_file, tmp_path):
    ws = workspace
    with qtbot.waitSignal(ws.image_opened, timeout=15000):
        assert ws.open_path(str(photo_file))
    keys = dict(ws.shortcut_list())
    assert {"C", "B", "E", "Hold \\"} <= set(keys) and "Brush" in keys["B"]


def press_ctrl_z_in_the_view(qtbot, ws):
    qtbot.mouseClick(ws.view.viewport(), Qt.MouseButton.LeftButton, pos=ws.view.rect().topLeft())
    assert QApplication.focusWidget() is ws.view
    qtbot.keyClick(ws.view, Qt.Key.Key_Z, CTRL)


def two_edits(qtbot, ws, photo_file):
    open_file(qtbot, ws, photo_file)
    ws.doc.set_mask(square_mask(ws.doc.image.shape), "Brush")
    ws.doc.set_mask(square_mask(ws.doc.image.shape, 0, 10), "Brush")
    return ws.doc.stack


def test_ctrl_z_of_the_workspace_on_its_own_undoes_one_step(workspace, qtbot, photo_file):
    ws = workspace
    ws.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is ws)
    stack = two_edits(qtbot, ws, photo_file)
    assert ws.keys.undo_action.isEnabled()  # no window owns the key: the workspace does
    press_ctrl_z_in_the_view(qtbot, ws)
    assert stack.index() == 1


@pytest.fixture
def host(qtbot, service, store):
    """A window that owns Ctrl+Z, Ctrl+Y and Ctrl+O as the contract says the main window
    does: its actions run the current workspace's run_action, enabled by action_enabled."""
    win = QMainWindow()
    ws = CanvasWorkspace(service, store)
    win.setCentralWidget(ws)
    ran = []
    for name in ("undo", "redo", "open"):
        action = QAction(name, win)
        action.setShortcuts([QKeySequence(k) for k in contract.ACTIONS[name][2]])
        action.triggered.connect(lambda _=False, n=name: ran.append(n) or run(ws, n))
        win.addAction(action)

        def follow(a=action, n=name):
            a.setEnabled(contract.action_enabled(ws, n))

        ws.actions_changed.connect(follow)
        follow()
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    yield win, ws, ran
    ws.doc.stack.setClean()


def test_when_the_window_owns_ctrl_z_it_fires_once(host, qtbot, photo_file):
    win, ws, ran = host
    stack = two_edits(qtbot, ws, photo_file)
    assert not ws.keys.undo_action.isEnabled() and not ws.keys.redo_action.isEnabled()
    assert ws.keys.actions[2].text() == "Open" and not ws.keys.actions[2].isEnabled()
    press_ctrl_z_in_the_view(qtbot, ws)
    assert stack.index() == 1 and ran == ["undo"]  # not 0 (twice), not 2 (ambiguous)
    qtbot.keyClick(ws.view, Qt.Key.Key_Y, CTRL)
    assert stack.index() == 2 and ran == ["undo", "redo"]
    # a text field with text to undo keeps Ctrl+Z for its text
    prompt = ws.panel.prompt
    qtbot.mouseClick(prompt, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(prompt, "sky")
    qtbot.keyClick(prompt, Qt.Key.Key_Z, CTRL)
    assert prompt.text() == "" and stack.index() == 2
    qtbot.keyClick(prompt, Qt.Key.Key_Z, CTRL)  # nothing left there: the canvas undoes
    assert stack.index() == 1 and ran == ["undo", "redo", "undo"]
