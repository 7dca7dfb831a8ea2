"""Undo, redo and hold-backslash (the original) work wherever a user leaves the focus inside
the Canvas, except that a text field keeps its own characters and its own text undo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.canvas.conftest import open_file, square_mask

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
HOLD = Qt.Key.Key_Backslash  # hold to see the original (B is the brush)


def focused():
    return QApplication.focusWidget()


def split(ws):
    clip = ws.view.before_clip
    return clip.rect().width() / 128 if clip.isVisible() else 0.0


@pytest.fixture
def active(workspace, qtbot):
    workspace.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is workspace)
    return workspace


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_ctrl_z_after_fill_undoes_although_the_button_lost_focus(active, qtbot, sdxl, photo_file):
    ws, p = active, active.panel
    open_file(qtbot, ws, photo_file)
    photo = ws.doc.image
    ws.doc.set_mask(square_mask(photo.shape), "Brush")
    p.steps.setValue(2)
    p.work_side.setValue(128)
    click(qtbot, p.fill_button)
    assert not p.fill_button.isEnabled()
    assert focused() is ws.view  # not the prompt, where keys would be characters
    qtbot.waitUntil(lambda: ws.controller.action_job is None, timeout=120000)
    filled = ws.doc.image
    assert not (filled == photo).all() and "Undo with Ctrl+Z" in p.status.text()

    qtbot.keyClick(focused(), HOLD)  # a click of the key changes nothing for good
    qtbot.keyPress(focused(), HOLD)
    assert split(ws) == 1.0
    qtbot.keyRelease(focused(), HOLD)
    assert split(ws) == 0.0

    qtbot.keyClick(focused(), Qt.Key.Key_Z, CTRL)
    assert (ws.doc.image == photo).all() and ws.doc.mask.any()
    qtbot.keyClick(focused(), Qt.Key.Key_Y, CTRL)
    assert (ws.doc.image == filled).all()
    qtbot.keyClick(focused(), Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(focused(), Qt.Key.Key_Z, CTRL | SHIFT)
    assert (ws.doc.image == filled).all()


def test_keys_in_the_history_strip(active, qtbot, photo_file):
    ws = active
    open_file(qtbot, ws, photo_file)
    photo = ws.doc.image
    ws.doc.apply_image(255 - photo, "Remove", {})
    ws.doc.apply_image(photo // 2, "Brighten", {})
    strip = ws.history
    rect = strip.visualItemRect(strip.item(1))
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert focused() is strip and (ws.doc.image == 255 - photo).all()
    qtbot.keyPress(strip, HOLD)
    assert split(ws) == 1.0
    assert strip.currentRow() == 1  # the key did not move in the list
    assert (ws.doc.image == 255 - photo).all()
    qtbot.keyRelease(strip, HOLD)
    assert split(ws) == 0.0
    qtbot.keyClick(strip, Qt.Key.Key_Z, CTRL)
    assert (ws.doc.image == photo).all()
    qtbot.keyClick(strip, Qt.Key.Key_Y, CTRL)
    qtbot.keyClick(strip, Qt.Key.Key_Y, CTRL)
    assert (ws.doc.image == photo // 2).all()


def test_text_fields_keep_their_letters_and_their_own_undo(active, qtbot, photo_file):
    ws, p = active, active.panel
    open_file(qtbot, ws, photo_file)
    ws.doc.set_mask(square_mask(ws.doc.image.shape), "Brush")
    click(qtbot, p.prompt)
    assert focused() is p.prompt
    qtbot.keyClicks(p.prompt, "a blue boat\\")
    assert p.prompt.text() == "a blue boat\\" and split(ws) == 0.0  # a character here
    assert ws.view.tool == "select"  # and B typed a letter, it did not pick the brush
    qtbot.keyClick(p.prompt, Qt.Key.Key_Z, CTRL)  # the field has text to undo: its own
    assert p.prompt.text() == "" and ws.doc.mask.any()
    qtbot.keyClick(p.prompt, Qt.Key.Key_Z, CTRL)  # nothing left there: the canvas undoes
    assert not ws.doc.mask.any()
    qtbot.keyClick(p.prompt, Qt.Key.Key_Y, CTRL)  # the field redoes its text first
    assert p.prompt.text() == "a blue boat\\" and not ws.doc.mask.any()
    qtbot.keyClick(p.prompt, Qt.Key.Key_Y, CTRL)
    assert ws.doc.mask.any()
    # a number field is no text field: the key compares there
    click(qtbot, p.more_button)
    click(qtbot, p.steps)
    assert focused() is p.steps
    qtbot.keyPress(p.steps, HOLD)
    assert split(ws) == 1.0
    qtbot.keyRelease(p.steps, HOLD)
    assert split(ws) == 0.0 and p.steps.value() == 30


def test_hold_key_released_elsewhere_still_ends_the_comparison(active, qtbot, photo_file):
    ws, p = active, active.panel
    open_file(qtbot, ws, photo_file)
    ws.view.setFocus()
    qtbot.keyPress(ws.view, HOLD)
    assert split(ws) == 1.0
    p.prompt.setFocus()  # e.g. a click into the prompt while the key is down
    qtbot.keyRelease(p.prompt, HOLD)
    assert split(ws) == 0.0 and p.prompt.text() == ""
    assert np.isclose(ws.view.split, 0.0)
