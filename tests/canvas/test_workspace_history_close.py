"""History strip, before/after, export from the workspace, close protection and autosave."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from studio.core import autosave
from studio.core.export import read_settings
from studio.ui.workspaces.canvas.workspace import CanvasWorkspace
from tests.canvas.conftest import square_mask


def edited(ws, photo_file):
    """Open, then two image edits (as a job result would apply them) and a mask."""
    ws.open_path(photo_file)
    img = ws.doc.image
    ws.doc.apply_image(255 - img, "Remove", {"model": "lama-big"})
    ws.doc.apply_image(img // 2, "Fill", {"prompt": "sky", "seed": 3})
    ws.doc.set_mask(square_mask(img.shape), "Brush")
    return img


def test_history_strip_jumps_back_and_forward(workspace, photo_file):
    ws = workspace
    photo = edited(ws, photo_file)
    strip = ws.history
    assert [strip.item(i).text() for i in range(strip.count())] == ["Original", "Remove", "Fill"]
    ws.history.itemClicked.emit(strip.item(1))
    assert (ws.doc.image == 255 - photo).all()
    ws.history.itemClicked.emit(strip.findItems("Original", Qt.MatchFlag.MatchExactly)[0])
    assert (ws.doc.image == photo).all()
    ws.history.itemClicked.emit(strip.item(2))
    assert (ws.doc.image == photo // 2).all()


def test_undo_history_is_capped_by_memory(workspace, photo_file, monkeypatch):
    from studio.ui.workspaces.canvas import document

    assert document.undo_limit(1024 * 1024) == 100
    assert document.undo_limit(8192 * 8192) == 10  # 256 MB snapshots: keep only 10 steps
    ws = workspace
    monkeypatch.setattr(document, "UNDO_BUDGET_BYTES", 1)  # as if the photo were huge
    ws.open_path(photo_file)
    img = ws.doc.image
    for i in range(12):
        ws.doc.apply_image((img + i + 1).astype(np.uint8), f"Edit {i}", {})
    assert ws.doc.stack.count() == 10 and ws.doc.history_trimmed
    first = ws.history.item(0)
    assert first.text() == "Earliest kept"
    ws.history.itemClicked.emit(first)
    assert (ws.doc.image == (img + 2).astype(np.uint8)).all()  # edits 0 and 1 were dropped


def test_before_after_slider_and_hold_key(workspace, photo_file, qtbot):
    ws = workspace
    edited(ws, photo_file)
    assert not ws.view.before_clip.isVisible()
    ws.panel.compare.setValue(50)
    assert ws.view.before_clip.isVisible() and ws.view.before_clip.rect().width() == 64
    ws.panel.compare.setValue(0)
    qtbot.keyPress(ws, Qt.Key.Key_B)
    assert ws.view.before_clip.rect().width() == 128
    qtbot.keyRelease(ws, Qt.Key.Key_B)
    assert not ws.view.before_clip.isVisible()


def test_export_writes_settings_and_marks_saved(workspace, photo_file, tmp_path):
    ws = workspace
    edited(ws, photo_file)
    assert ws.doc.dirty
    out = tmp_path / "result.webp"
    assert ws.export_to(out)
    meta = read_settings(out)
    assert meta["source"] == "astronaut.png"
    assert [e["op"] for e in meta["edits"]] == ["Remove", "Fill"]
    assert meta["edits"][1]["prompt"] == "sky"
    assert not ws.doc.dirty and ws.can_close()


def answer(ws, button):
    def press():
        assert ws.close_box is not None
        ws.close_box.button(button).click()

    QTimer.singleShot(0, press)


def test_can_close_asks_when_there_are_unsaved_edits(workspace, photo_file):
    ws = workspace
    ws.open_path(photo_file)
    assert ws.can_close()  # nothing edited: no question
    edited(ws, photo_file)
    answer(ws, QMessageBox.StandardButton.Cancel)
    assert not ws.can_close()
    assert ws.doc.dirty
    answer(ws, QMessageBox.StandardButton.Discard)
    assert ws.can_close()


def test_opening_another_image_asks_too(workspace, photo_file):
    ws = workspace
    edited(ws, photo_file)
    answer(ws, QMessageBox.StandardButton.Cancel)
    assert not ws.open_path(photo_file)
    assert ws.doc.stack.count() == 3


def test_autosave_restores_after_a_crash(workspace, photo_file, qtbot, service, store):
    ws = workspace
    photo = edited(ws, photo_file)
    qtbot.waitUntil(lambda: (autosave.autosave_dir() / autosave.STATE).exists(), timeout=5000)
    mask = ws.doc.mask.copy()
    # "crash": a new workspace starts while the autosave is still there
    again = CanvasWorkspace(service, store)
    qtbot.addWidget(again)
    assert not again.restore_bar.isHidden()
    assert "astronaut.png" in again.restore_label.text()
    again.restore_button.click()
    assert again.restore_bar.isHidden()
    assert (again.doc.image == photo // 2).all() and (again.doc.mask == mask).all()
    assert again.doc.dirty
    assert again.doc.metadata()["edits"][0]["restored_edits"][1]["op"] == "Fill"
    again.doc.stack.undo()
    assert (again.doc.image == photo).all()
    again.doc.stack.setClean()
    # a clean close removes the autosave: nothing is offered next time
    ws.doc.stack.setClean()
    assert ws.can_close()
    assert autosave.load() is None
    assert CanvasWorkspace(service, store).restore_bar.isHidden()


def test_discarding_the_autosave(workspace, photo_file, qtbot, service, store):
    edited(workspace, photo_file)
    workspace.autosave_now()
    again = CanvasWorkspace(service, store)
    qtbot.addWidget(again)
    again.discard_restore_button.click()
    assert autosave.load() is None and not again.doc.has_image


def test_screenshot_with_image_and_mask(workspace, photo_file, tmp_path):
    ws = workspace
    ws.open_path(photo_file)
    mask = np.zeros(ws.doc.image.shape[:2], np.uint8)
    mask[20:70, 30:90] = 255
    ws.doc.set_mask(mask, "Brush")
    ws.doc.apply_image(ws.doc.image // 2 + 60, "Fill", {"prompt": "demo"})
    ws.doc.set_mask(mask, "Brush")
    shot = tmp_path / "canvas_workspace.png"
    assert ws.grab().save(str(shot))
    assert shot.stat().st_size > 10000
    ws.grab().save("/tmp/canvas_workspace.png")
