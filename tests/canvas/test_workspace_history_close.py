"""History strip, before/after, export from the workspace, close protection and autosave."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from studio.core import autosave
from studio.core.export import read_settings
from studio.ui.workspaces.canvas.workspace import CanvasWorkspace
from tests.canvas.conftest import open_file, square_mask


def edited(qtbot, ws, photo_file):
    """Open, then two image edits (as a job result would apply them) and a mask."""
    open_file(qtbot, ws, photo_file)
    img = ws.doc.image
    ws.doc.apply_image(255 - img, "Remove", {"model": "lama-big"})
    ws.doc.apply_image(img // 2, "Fill", {"prompt": "sky", "seed": 3})
    ws.doc.set_mask(square_mask(img.shape), "Brush")
    return img


def click_item(qtbot, strip, row):
    rect = strip.visualItemRect(strip.item(row))
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_history_strip_jumps_back_and_forward(workspace, qtbot, photo_file):
    ws = workspace
    photo = edited(qtbot, ws, photo_file)
    strip = ws.history
    assert strip.labels() == ["Original", "Remove", "Fill"]
    click_item(qtbot, strip, 1)
    assert (ws.doc.image == 255 - photo).all()
    assert strip.item(2).foreground().color() == Qt.GlobalColor.gray  # undone, still there
    click_item(qtbot, strip, 0)
    assert (ws.doc.image == photo).all()
    click_item(qtbot, strip, 2)
    assert (ws.doc.image == photo // 2).all()


def test_undo_history_is_capped_by_memory(workspace, qtbot, photo_file, monkeypatch):
    from studio.ui.workspaces.canvas import document

    assert document.undo_limit(1024 * 1024) == 100
    assert document.undo_limit(8192 * 8192) == 10  # 256 MB snapshots: keep only 10 steps
    ws = workspace
    monkeypatch.setattr(document, "UNDO_BUDGET_BYTES", 1)  # as if the photo were huge
    open_file(qtbot, ws, photo_file)
    img = ws.doc.image
    for i in range(12):
        ws.doc.apply_image((img + i + 1).astype(np.uint8), f"Edit {i}", {})
    assert ws.doc.stack.count() == 10 and ws.doc.history_trimmed
    assert ws.history.item(0).text() == "Earliest kept"
    click_item(qtbot, ws.history, 0)
    assert (ws.doc.image == (img + 2).astype(np.uint8)).all()  # edits 0 and 1 were dropped


def test_undo_limit_is_recomputed_when_the_image_grows(workspace, qtbot, photo_file, monkeypatch):
    """After an upscale x4 each step holds 16x the pixels: the limit shrinks, the newest
    steps, the position and the saved state survive, and undo still walks back exactly."""
    from studio.ui.workspaces.canvas import document

    ws = workspace
    # a budget of 40 steps of the small photo: 2.5 steps of the x4 one, so the floor of 10
    monkeypatch.setattr(document, "UNDO_BUDGET_BYTES", 96 * 128 * 4 * 40)
    open_file(qtbot, ws, photo_file)
    assert ws.doc.stack.undoLimit() == 40
    img = ws.doc.image
    small = [(img // 2 + i).astype(np.uint8) for i in range(20)]
    for i, step in enumerate(small):
        ws.doc.apply_image(step, f"Edit {i}", {})
        if i == 14:
            ws.doc.stack.setClean()  # exported here
    assert ws.doc.stack.count() == 20 and not ws.doc.history_trimmed
    big = np.repeat(np.repeat(small[-1], 4, axis=0), 4, axis=1)
    cmd = ws.doc.apply_image(big, "Upscale x4", {"scale": 4})
    stack = ws.doc.stack
    assert stack.undoLimit() == 10 and stack.count() == 10 and stack.index() == 10
    assert cmd is stack.command(9) and ws.doc.dirty and ws.doc.history_trimmed
    assert ws.history.labels() == ["Earliest kept"] + [f"Edit {i}" for i in range(11, 20)] + [
        "Upscale x4"
    ]
    assert stack.cleanIndex() == 15 - 11
    stack.setIndex(4)
    assert not ws.doc.dirty and (ws.doc.image == small[14]).all()
    stack.setIndex(0)
    assert (ws.doc.image == small[10]).all()
    stack.setIndex(10)
    assert ws.doc.image.shape == (384, 512, 3) and (ws.doc.image == big).all()
    for i in range(12):  # new steps at the new size stay within the new limit
        ws.doc.apply_image(big // 2 + i, f"Big {i}", {})
    assert stack.count() == 10


def test_before_after_slider_and_hold_key(workspace, photo_file, qtbot):
    ws = workspace
    edited(qtbot, ws, photo_file)
    assert not ws.view.before_clip.isVisible()
    ws.toolbar.compare.setValue(50)
    assert ws.view.before_clip.isVisible() and ws.view.before_clip.rect().width() == 64
    ws.toolbar.compare.setValue(0)
    qtbot.keyPress(ws, Qt.Key.Key_Backslash)
    assert ws.view.before_clip.rect().width() == 128
    qtbot.keyRelease(ws, Qt.Key.Key_Backslash)
    assert not ws.view.before_clip.isVisible()


def test_export_writes_settings_and_marks_saved(workspace, qtbot, photo_file, tmp_path):
    ws = workspace
    edited(qtbot, ws, photo_file)
    assert ws.doc.dirty
    out = tmp_path / "result.webp"
    with qtbot.waitSignal(ws.exported, timeout=15000):
        assert ws.export_to(out)
    meta = read_settings(out)
    assert meta["source"] == "astronaut.png"
    assert [e["op"] for e in meta["edits"]] == ["Remove", "Fill"]
    assert meta["edits"][1]["prompt"] == "sky"
    assert not ws.doc.dirty and ws.can_close()


def test_export_failure_says_why_and_keeps_the_work_unsaved(workspace, qtbot, photo_file, tmp_path):
    ws = workspace
    edited(qtbot, ws, photo_file)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with qtbot.waitSignal(ws.exported, timeout=15000):
        ws.export_to(tmp_path / "first.png")  # an earlier export stays as it was
    before = (tmp_path / "first.png").read_bytes()
    ws.doc.set_mask(square_mask(ws.doc.image.shape, 0, 10, 0, 10), "Brush")
    for bad in (blocker / "out.png", tmp_path / "out.gif"):
        with qtbot.waitSignal(ws.export_failed, timeout=15000) as failed:
            assert ws.export_to(bad)
        assert bad.name in failed.args[0] and ws.last_error_box.isVisible()
        assert ws.doc.dirty and not bad.exists()
    assert "use .png, .jpg or .webp" in ws.last_error_box.text()
    assert (tmp_path / "first.png").read_bytes() == before
    assert not list(tmp_path.rglob("*.part"))


def test_export_while_editing_keeps_the_new_edits_unsaved(workspace, qtbot, photo_file, tmp_path):
    ws = workspace
    edited(qtbot, ws, photo_file)
    with qtbot.waitSignal(ws.exported, timeout=15000):
        ws.export_to(tmp_path / "out.png")
        ws.doc.set_mask(square_mask(ws.doc.image.shape, 0, 10, 0, 10), "Brush")  # meanwhile
    assert ws.doc.dirty  # the file holds the state before that edit
    assert read_settings(tmp_path / "out.png")["edits"][-1]["op"] == "Fill"


def answer(ws, button):
    def press():
        assert ws.close_box is not None
        QTest.mouseClick(ws.close_box.button(button), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, press)


def test_can_close_asks_when_there_are_unsaved_edits(workspace, qtbot, photo_file):
    ws = workspace
    open_file(qtbot, ws, photo_file)
    assert ws.can_close()  # nothing edited: no question
    edited(qtbot, ws, photo_file)
    answer(ws, QMessageBox.StandardButton.Cancel)
    assert not ws.can_close()
    assert ws.doc.dirty
    answer(ws, QMessageBox.StandardButton.Discard)
    assert ws.can_close()


def test_save_on_close_exports_before_closing(workspace, qtbot, photo_file, tmp_path):
    from tests.ui.clicking import answer_file_dialog

    def choose_file(path):  # typed into the name field, as a user does, then Enter
        answer_file_dialog(qtbot, path)

    ws = workspace
    edited(qtbot, ws, photo_file)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    answer(ws, QMessageBox.StandardButton.Save)
    choose_file(blocker / "out.png")  # cannot be written: the close is called off
    assert not ws.can_close()
    assert ws.doc.dirty and ws.isEnabled()
    assert "a-file' is a file, not a folder" in ws.last_error_box.text()
    out = tmp_path / "kept.png"
    answer(ws, QMessageBox.StandardButton.Save)
    choose_file(out)
    assert ws.can_close()  # returns once the file is written
    assert read_settings(out)["edits"][-1]["op"] == "Fill" and not ws.doc.dirty


def test_opening_another_image_asks_too(workspace, qtbot, photo_file):
    ws = workspace
    edited(qtbot, ws, photo_file)
    answer(ws, QMessageBox.StandardButton.Cancel)
    assert not ws.open_path(photo_file)
    assert ws.doc.stack.count() == 3


def test_autosave_restores_after_a_crash(workspace, photo_file, qtbot, service, store):
    ws = workspace
    photo = edited(qtbot, ws, photo_file)
    with qtbot.waitSignal(ws.autosaver.saved, timeout=10000):
        pass  # about two seconds after the last edit, on the autosave thread
    assert (autosave.autosave_dir() / autosave.STATE).exists()
    mask = ws.doc.mask.copy()
    # "crash": a new workspace starts while the autosave is still there
    again = CanvasWorkspace(service, store)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: not again.restore_bar.isHidden(), timeout=10000)
    assert "astronaut.png" in again.restore_label.text()
    qtbot.mouseClick(again.restore_button, Qt.MouseButton.LeftButton)
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
    assert autosave.load() is None and not autosave.exists()


def test_discarding_the_autosave(workspace, photo_file, qtbot, service, store):
    edited(qtbot, workspace, photo_file)
    with qtbot.waitSignal(workspace.autosaver.saved, timeout=10000):
        workspace.autosave_now()
    workspace.doc.stack.setClean()
    again = CanvasWorkspace(service, store)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: not again.restore_bar.isHidden(), timeout=10000)
    qtbot.mouseClick(again.discard_restore_button, Qt.MouseButton.LeftButton)
    assert again.restore_bar.isHidden()
    again.autosaver.io.wait()
    assert autosave.load() is None and not again.doc.has_image


def test_screenshot_with_image_and_mask(workspace, qtbot, photo_file, tmp_path):
    """The grabbed window shows the image, the pink mask over the selection only, and the
    history strip with both steps."""
    from PySide6.QtGui import QImage

    from studio.ui.widgets.images import qimage_to_array
    from tests.canvas.test_workspace_select import at

    ws = workspace
    open_file(qtbot, ws, photo_file)
    mask = np.zeros(ws.doc.image.shape[:2], np.uint8)
    mask[20:70, 30:90] = 255
    ws.doc.set_mask(mask, "Brush")
    ws.doc.apply_image(ws.doc.image // 2 + 60, "Fill", {"prompt": "demo"})
    ws.doc.set_mask(mask, "Brush")
    shot = tmp_path / "canvas_workspace.png"
    assert ws.grab().save(str(shot))
    pixels = qimage_to_array(QImage(str(shot)))
    view = ws.view

    def shown(x, y):  # the screenshot's colour at image pixel (x, y)
        pos = view.viewport().mapTo(ws, at(view, x, y))
        return pixels[pos.y(), pos.x()].astype(int)

    image = ws.doc.image
    inside, outside = shown(60, 45), shown(10, 85)
    assert inside[0] - inside[1] > image[45, 60, 0] - int(image[45, 60, 1]) + 40  # pink tint
    assert np.abs(outside - image[85, 10]).max() <= 12  # the image itself, untinted
    strip = ws.history.mapTo(ws, ws.history.visualItemRect(ws.history.item(1)).center())
    assert ws.history.labels() == ["Original", "Fill"] and strip.y() > pos_bottom(view, ws)


def pos_bottom(view, ws):
    return view.mapTo(ws, view.rect().bottomLeft()).y()
