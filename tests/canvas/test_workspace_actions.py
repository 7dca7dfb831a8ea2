"""Remove / Fill / Cut out / Upscale as real jobs: progress, cancel, undoable results."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.services.jobs import JobState
from tests.canvas.conftest import open_file, square_mask


def start(qtbot, ws, photo_file, mask=True):
    open_file(qtbot, ws, photo_file)
    if mask:
        ws.doc.set_mask(square_mask(ws.doc.image.shape), "Brush")


def wait_done(qtbot, ws, timeout=120000):
    qtbot.waitUntil(lambda: ws.controller.action_job is None, timeout=timeout)


@pytest.mark.slow
def test_remove_changes_only_the_mask_and_undoes(workspace, qtbot, install, photo_file, photo):
    install("lama-big")
    ws = workspace
    start(qtbot, ws, photo_file)
    progress, told = [], []
    ws.service.job_progress.connect(lambda j, u: progress.append(u.stage))
    ws.notify.connect(told.append)
    qtbot.mouseClick(ws.panel.remove_button, Qt.MouseButton.LeftButton)
    job = ws.controller.action_job
    assert job.kind == "canvas.remove" and ws.busy.cancel_button.isVisible()
    assert not ws.panel.fill_button.isEnabled()
    wait_done(qtbot, ws)
    assert job.state is JobState.FINISHED and "Removing" in progress
    assert not ws.busy.isVisible() and ws.panel.remove_button.isEnabled() is False
    assert told == ["Removed the selection"]  # the window's toast
    edited = ws.doc.image
    far = np.ones(photo.shape[:2], bool)
    far[14:76, 24:96] = False  # mask + 8 px feather + margin
    assert (edited[far] == photo[far]).all()
    assert not (edited == photo).all()
    assert not ws.doc.mask.any()  # the selection belonged to the old pixels
    assert [r.op for r in ws.doc.edits()] == ["Remove"]
    ws.doc.stack.undo()
    assert (ws.doc.image == photo).all() and ws.doc.mask.any()
    ws.doc.stack.redo()
    assert (ws.doc.image == edited).all()


def test_fill_variations_pick_one_in_one_undo_step(workspace, qtbot, sdxl, photo_file, photo):
    ws, p = workspace, workspace.panel
    start(qtbot, ws, photo_file)
    p.prompt.setText("a red balloon")
    p.steps.setValue(2)
    p.variations.setValue(2)
    p.seed.setValue(5)
    p.work_side.setValue(128)
    qtbot.mouseClick(p.fill_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, ws)
    assert p.variation_list.isVisible() and p.variation_list.count() == 2
    first = ws.doc.image.copy()
    assert not (first == photo).all()
    p.variation_list.setCurrentRow(1)
    second = ws.doc.image
    assert not (second == first).all()
    assert ws.doc.edits()[0].settings["seed"] == 6
    assert ws.doc.edits()[0].settings["prompt"] == "a red balloon"
    ws.doc.stack.undo()
    assert (ws.doc.image == photo).all()
    ws.doc.stack.redo()
    assert (ws.doc.image == second).all()


def test_cancel_a_running_fill_changes_nothing(workspace, qtbot, sdxl, photo_file, photo):
    ws, p = workspace, workspace.panel
    start(qtbot, ws, photo_file)
    p.steps.setValue(150)
    p.work_side.setValue(128)
    job = ws.controller.fill()
    qtbot.waitUntil(
        lambda: job.last_progress is not None and job.last_progress.done >= 1, timeout=60000
    )
    assert ws.busy.isVisible() and ws.busy.label.text().startswith("Fill: ")
    qtbot.mouseClick(ws.busy.cancel_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, ws)
    assert not ws.busy.isVisible()
    assert job.state is JobState.CANCELLED
    assert "cancelled" in p.status.text() and p.fill_button.isEnabled()
    assert (ws.doc.image == photo).all() and ws.doc.stack.count() == 1


def test_cutout_then_upscale(workspace, qtbot, install, photo_file, photo):
    install("rembg-u2net", "realesrgan-x4plus")
    ws, p = workspace, workspace.panel
    start(qtbot, ws, photo_file, mask=False)
    told = []
    ws.notify.connect(told.append)
    assert p.background.currentData() == "transparent"
    qtbot.mouseClick(p.cutout_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, ws)
    assert ws.doc.image.shape == (96, 128, 4)
    assert (ws.doc.image[:, :, :3] == photo).all()
    # the cut-out's mask stays editable: load it, paint, apply
    assert p.edit_cutout_button.isEnabled()
    qtbot.mouseClick(p.edit_cutout_button, Qt.MouseButton.LeftButton)
    alpha = ws.doc.image[:, :, 3].copy()
    assert (ws.doc.mask == alpha).all()
    edited = ws.doc.mask.copy()
    edited[:, :20] = 0
    edited[40:50, 60:70] = 255
    ws.doc.set_mask(edited, "Brush")
    qtbot.mouseClick(p.apply_cutout_button, Qt.MouseButton.LeftButton)
    assert (ws.doc.image[:, :, 3] == edited).all() and (ws.doc.image[:, :, :3] == photo).all()
    assert [r.op for r in ws.doc.edits()] == ["Cut out", "Refine cut-out"]
    qtbot.mouseClick(ws.panel.upscale_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, ws)
    assert ws.doc.image.shape == (384, 512, 4)  # still a cut-out: transparency kept
    assert (ws.doc.image[::4, ::4, 3][:, :20] < 128).all()  # what was cut away stays clear
    assert ws.doc.mask.shape == (384, 512)
    assert [r.op for r in ws.doc.edits()] == ["Cut out", "Refine cut-out", "Upscale x4"]
    assert ws.view.image_item.pixmap().width() == 512
    assert told == ["Cut out the background", "Upscaled to 512 x 384"]
    assert not p.edit_cutout_button.isEnabled()
    ws.doc.stack.undo()
    assert ws.doc.image.shape == (96, 128, 4) and p.edit_cutout_button.isEnabled()


def test_missing_model_fails_cleanly(workspace, qtbot, photo_file, photo):
    ws = workspace
    start(qtbot, ws, photo_file)
    qtbot.mouseClick(ws.panel.remove_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, ws, 30000)
    assert "LaMa" in ws.panel.status.text() and "not installed" in ws.panel.status.text()
    assert (ws.doc.image == photo).all() and ws.panel.remove_button.isEnabled()
