"""Every button of the Canvas, clicked with the mouse on the real widget, over the real
service and tiny models: each click ends in a state a user can see."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QColorDialog, QFileDialog

from studio.core.export import read_settings
from tests.canvas.conftest import bar_button
from tests.canvas.test_workspace_new_document import fitted_in
from tests.canvas.test_workspace_select import at

LEFT = Qt.MouseButton.LeftButton


def click(qtbot, widget, pos=None):
    assert widget.isVisible() and widget.isEnabled(), widget
    if pos is None:
        qtbot.mouseClick(widget, LEFT)
    else:
        qtbot.mouseClick(widget, LEFT, pos=pos)


def answer_dialog(kind, fill):
    """When the modal dialog of ``kind`` opens, ``fill`` it and accept it."""

    def poll():
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind):
            fill(dialog)
            dialog.accept()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def choose_file(path):
    answer_dialog(QFileDialog, lambda d: d.selectFile(str(path)))


def wait_job(qtbot, ws):
    qtbot.waitUntil(lambda: ws.controller.action_job is None, timeout=180000)


def stroke(qtbot, view, y=50):
    vp = view.viewport()
    qtbot.mousePress(vp, LEFT, pos=at(view, 30, y))
    qtbot.mouseMove(vp, at(view, 70, y))
    qtbot.mouseRelease(vp, LEFT, pos=at(view, 90, y))


@pytest.mark.slow
def test_every_canvas_button(workspace, qtbot, install, sdxl, photo_file, photo, tmp_path):
    install("sam-vit-b", "lama-big", "rembg-u2net", "realesrgan-x4plus")
    ws, p, view, bar = workspace, workspace.panel, workspace.view, workspace.toolbar
    assert [a.isEnabled() for a in (bar.open_action, bar.export_action, bar.undo_action)] == [
        True,
        False,
        False,
    ]

    # Open… through its file dialog
    choose_file(photo_file)
    with qtbot.waitSignal(ws.image_opened, timeout=15000):
        click(qtbot, bar_button(ws, "open_action"))
    assert (ws.doc.image == photo).all() and ws.history.labels() == ["Original"]

    # Click tool: a SAM job selects
    click(qtbot, bar.tool_buttons["brush"])
    click(qtbot, bar.tool_buttons["select"])
    assert view.tool == "select"
    click(qtbot, view.viewport(), at(view, 60, 40))
    qtbot.waitUntil(lambda: ws.controller.segment_job is None, timeout=30000)
    assert ws.doc.selection.points and p.status.text().startswith("Selected")
    click(qtbot, p.clear_button)  # a random tiny SAM may select anything: start from none
    assert not ws.doc.mask.any()

    # Brush and eraser paint the mask
    click(qtbot, bar.tool_buttons["brush"])
    bar.brush_size.setValue(10)
    stroke(qtbot, view)
    assert ws.doc.mask[50, 60] == 255
    click(qtbot, bar.tool_buttons["eraser"])
    click(qtbot, view.viewport(), at(view, 60, 50))
    assert ws.doc.mask[50, 60] == 0 and ws.doc.mask[50, 35] == 255

    # mask operations, each one step
    for button in (p.grow_button, p.shrink_button, p.feather_button, p.invert_button):
        before = ws.doc.mask.copy()
        click(qtbot, button)
        assert not (ws.doc.mask == before).all(), button.text()
    click(qtbot, p.invert_button)
    painted = ws.doc.mask.copy()
    click(qtbot, p.clear_button)
    assert not ws.doc.mask.any() and not p.remove_button.isEnabled()
    click(qtbot, bar_button(ws, "undo_action"))
    assert (ws.doc.mask == painted).all() and bar.redo_action.isEnabled()
    click(qtbot, bar_button(ws, "redo_action"))
    assert not ws.doc.mask.any()
    click(qtbot, bar_button(ws, "undo_action"))

    # Remove
    click(qtbot, p.remove_button)
    assert ws.busy.cancel_button.isVisible() and not p.fill_button.isEnabled()
    wait_job(qtbot, ws)
    removed = ws.doc.image
    assert not (removed == photo).all() and ws.history.labels() == ["Original", "Remove"]

    # Fill with two variations, then pick the second
    click(qtbot, bar.tool_buttons["brush"])
    stroke(qtbot, view)
    p.prompt.setText("a red balloon")
    click(qtbot, p.more_button)  # steps and work size are folded away
    p.steps.setValue(2)
    p.variations.setValue(2)
    p.work_side.setValue(128)
    click(qtbot, p.fill_button)
    wait_job(qtbot, ws)
    assert p.variation_list.isVisible() and p.variation_list.count() == 2
    first = ws.doc.image.copy()
    lst = p.variation_list
    click(qtbot, lst.viewport(), lst.visualItemRect(lst.item(1)).center())
    assert not (ws.doc.image == first).all() and ws.doc.edits()[-1].settings["seed"] != 0

    # Cancel a long fill: nothing changes
    stroke(qtbot, view, 20)
    shown = ws.doc.image
    p.steps.setValue(150)
    p.variations.setValue(1)
    click(qtbot, p.fill_button)
    job = ws.controller.action_job
    qtbot.waitUntil(lambda: job.last_progress is not None, timeout=60000)
    click(qtbot, ws.busy.cancel_button)
    wait_job(qtbot, ws)
    assert "cancelled" in p.status.text() and ws.doc.image is shown

    # Colour… then Cut out onto it, edit and apply its mask
    answer_dialog(QColorDialog, lambda d: d.setCurrentColor(QColor(255, 0, 0)))
    click(qtbot, p.colour_button)
    assert p.background.currentData() == "colour" and p.colour.name() == "#ff0000"
    click(qtbot, p.cutout_button)
    wait_job(qtbot, ws)
    assert ws.history.labels()[-1] == "Cut out" and ws.doc.image.shape == (96, 128, 3)
    click(qtbot, p.edit_cutout_button)
    edited = ws.doc.mask.copy()
    edited[:, :20] = 0
    ws.doc.set_mask(edited, "Brush")
    click(qtbot, p.apply_cutout_button)
    assert (ws.doc.image[:, :10] == (255, 0, 0)).all()  # cut away: the chosen colour
    assert ws.history.labels()[-1] == "Refine cut-out"

    # Upscale x4, undo and redo it with the buttons
    click(qtbot, p.upscale_button)
    wait_job(qtbot, ws)
    assert ws.doc.image.shape == (384, 512, 3) and view.image_item.pixmap().width() == 512
    click(qtbot, bar_button(ws, "undo_action"))
    assert ws.doc.image.shape == (96, 128, 3)
    click(qtbot, bar_button(ws, "redo_action"))
    assert ws.doc.image.shape == (384, 512, 3)

    # view buttons and before / after
    click(qtbot, bar_button(ws, "actual_action"))
    assert abs(view.zoom - 1.0) < 1e-6
    click(qtbot, bar_button(ws, "fit_action"))
    assert abs(view.zoom - 1.0) > 0.1 and fitted_in(view)
    slider = ws.toolbar.compare
    click(qtbot, slider, QPoint(slider.width() - 3, slider.height() // 2))
    assert slider.value() > 0 and view.before_clip.isVisible()
    slider.setValue(0)
    qtbot.keyPress(view, Qt.Key.Key_Backslash)
    assert view.before_clip.isVisible() and view.before_clip.rect().width() == 512
    qtbot.keyRelease(view, Qt.Key.Key_Backslash)
    assert not view.before_clip.isVisible()

    # Export… through its file dialog
    out = tmp_path / "exported.png"
    choose_file(out)
    with qtbot.waitSignal(ws.exported, timeout=15000):
        click(qtbot, bar_button(ws, "export_action"))
    meta = read_settings(out)
    assert [e["op"] for e in meta["edits"]] == [
        "Remove",
        "Fill",
        "Cut out",
        "Refine cut-out",
        "Upscale x4",
    ]
    from PIL import Image

    with Image.open(out) as img:
        assert img.size == (512, 384) and (np.asarray(img) == ws.doc.image).all()
    assert not ws.doc.dirty and "Exported exported.png" in p.status.text()
