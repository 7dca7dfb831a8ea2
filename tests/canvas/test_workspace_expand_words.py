"""Expand and Select by words in the Canvas, clicked on the real widgets over the real
service with tiny models; the export lands in the gallery."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from studio.core.gallery import Gallery
from tests.canvas.conftest import bar_button, open_file
from tests.canvas.test_text_select import clipseg, clipseg_folder  # noqa: F401 (fixtures)
from tests.canvas.test_workspace_buttons import choose_file, click, wait_job
from tests.canvas.test_workspace_select import at
from tests.ui.mnemonics import assert_unique_mnemonics


def type_into(qtbot, field, text):
    """Replace a field's text the way a user does: focus, select all, type."""
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, text)


def open_expand(qtbot, ws, via_toolbar=True):
    button = bar_button(ws, "expand_action") if via_toolbar else ws.panel.expand_button
    click(qtbot, button)
    qtbot.waitUntil(lambda: ws.expand_box is not None and ws.expand_box.isVisible())
    return ws.expand_box


def test_expand_dialog_grows_the_image_in_one_undoable_step(
    workspace, qtbot, install, sdxl, photo_file, photo, tmp_path
):
    install("lama-big")
    ws, p = workspace, workspace.panel
    assert not bar_button(ws, "expand_action").isEnabled()  # nothing to expand yet
    open_file(qtbot, ws, photo_file)
    p.prompt.setText("a sandy beach")
    click(qtbot, p.more_button)
    type_into(qtbot, p.work_side, "128")  # tiny SDXL: a small work size is plenty
    p.work_side.interpretText()
    box = open_expand(qtbot, ws)
    assert box.prompt.text() == "a sandy beach"  # Fill's prompt, pre-filled
    assert_unique_mnemonics(box)
    type_into(qtbot, box.sides["right"], "40")
    type_into(qtbot, box.sides["bottom"], "24")
    box.sides["bottom"].interpretText()
    assert box.size_label.text() == "New size: 168 x 120"
    with qtbot.waitSignal(ws.notify, timeout=180000) as toast:
        click(qtbot, box.ok_button)
        assert ws.busy.cancel_button.isVisible()  # progress on the canvas, cancellable
    wait_job(qtbot, ws)
    assert toast.args == ["Expanded to 168 x 120"]
    h, w = photo.shape[:2]
    assert ws.doc.image.shape == (h + 24, w + 40, 3) and ws.doc.size == (168, 120)
    assert (ws.doc.image[:h, :w] == photo).all()  # the photo's pixels, bit for bit
    assert ws.doc.mask.shape == (h + 24, w + 40)
    assert ws.history.labels() == ["Original", "Expand"]
    assert ws.doc.edits()[-1].settings["expand"] == {"left": 0, "top": 0, "right": 40, "bottom": 24}
    click(qtbot, bar_button(ws, "undo_action"))
    assert ws.doc.size == (w, h) and (ws.doc.image == photo).all()


def test_expand_dialog_refuses_bad_values_and_cancel_changes_nothing(
    workspace, qtbot, photo_file, photo
):
    ws = workspace
    open_file(qtbot, ws, photo_file)
    box = open_expand(qtbot, ws, via_toolbar=False)
    type_into(qtbot, box.sides["right"], "0")
    box.sides["right"].interpretText()
    click(qtbot, box.ok_button)
    assert box.isVisible(), "closed"
    assert box.message.isVisible(), "no message"
    assert "at least one side" in box.message.text()
    assert ws.controller.action_job is None
    # 4:3 is the photo's own ratio (128 x 96): nothing to add
    click(qtbot, box.by_aspect, QPoint(10, box.by_aspect.height() // 2))  # on its circle
    assert box.by_aspect.isChecked() and not box.sides["left"].isEnabled()
    box.aspect.addItem("4:3", "4:3")  # not offered; the pipeline's check still speaks
    box.aspect.setCurrentIndex(box.aspect.count() - 1)
    click(qtbot, box.ok_button)
    assert box.isVisible() and "already 4:3" in box.message.text()
    box.aspect.setCurrentIndex(box.aspect.findData("16:9"))
    box.anchor.setCurrentIndex(box.anchor.findData("left"))
    assert box.size_label.text() == "New size: 171 x 96"
    assert box.values() == {"prompt": "", "aspect": "16:9", "anchor": "left"}
    click(qtbot, box.cancel_button)
    qtbot.waitUntil(lambda: ws.expand_box is None)
    assert ws.controller.action_job is None and ws.doc.size == (128, 96)


@pytest.mark.usefixtures("clipseg")
def test_select_by_words_makes_the_selection(workspace, qtbot, install, photo_file, photo):
    install("sam-vit-b")
    ws, p = workspace, workspace.panel
    open_file(qtbot, ws, photo_file)
    click(qtbot, p.words_button)
    assert "Type what to select" in p.status.text()
    type_into(qtbot, p.words, "the astronaut")
    click(qtbot, p.words_button)
    qtbot.waitUntil(lambda: ws.controller.segment_job is None, timeout=60000)
    text = p.status.text()
    if text.startswith("Nothing in the image matched"):  # a random model may see nothing
        assert not ws.doc.mask.any() and ws.history.labels() == ["Original"]
        pytest.skip("the random CLIPSeg found nothing at the default threshold")
    assert text.startswith("Selected 'the astronaut'"), text
    assert ws.doc.mask.shape == photo.shape[:2] and ws.doc.mask.dtype == np.uint8
    assert ws.doc.mask.any() and p.remove_button.isEnabled()
    # A click on that selection refines the same words: SAM gets the words' box and the click
    click(qtbot, ws.view.viewport(), at(ws.view, 20, 20))
    job = ws.controller.segment_job
    assert job.kind == "canvas.text_select" and job.request.prompt == "the astronaut"
    ((x, y),) = job.request.points
    assert abs(x - 20) < 1 and abs(y - 20) < 1 and job.request.labels == [1]
    qtbot.waitUntil(lambda: ws.controller.segment_job is None, timeout=60000)
    stack = ws.doc.stack
    steps = [stack.text(i) for i in range(stack.index())]
    assert steps == ["Select 'the astronaut'"] * 2  # each one undoable
    assert ws.doc.selection.points == ((x, y),)
    click(qtbot, bar_button(ws, "undo_action"))
    click(qtbot, bar_button(ws, "undo_action"))
    assert not ws.doc.mask.any()


def test_an_export_is_recorded_in_the_gallery(workspace, qtbot, photo_file, tmp_path):
    ws = workspace
    open_file(qtbot, ws, photo_file)
    click(qtbot, ws.panel.invert_button)  # select all: a selection edit, no image edit
    target = tmp_path / "out.png"
    choose_file(target)
    with qtbot.waitSignal(ws.recorded, timeout=15000):
        click(qtbot, bar_button(ws, "export_action"))
    with Gallery() as gallery:
        (entry,) = gallery.entries("canvas")
    assert entry.outputs == [str(target)] and entry.kind == "original"
    assert entry.settings["source"] == "astronaut.png"


def test_dragging_an_edge_handle_sets_that_side(workspace, qtbot, photo_file):
    ws, view = workspace, workspace.view
    open_file(qtbot, ws, photo_file)
    box = open_expand(qtbot, ws)
    handles = ws.expand_handles
    assert handles.active and all(item.isVisible() for item in handles.handles.values())
    assert handles.sides == {"left": 0, "top": 0, "right": 256, "bottom": 0}  # the dialog's

    def at_image(p):
        return view.mapFromScene(view.image_item.mapToScene(p))

    vp = view.viewport()
    start = handles.handle_centre("bottom")  # on the photo's bottom edge: 0 px
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=at_image(start))
    qtbot.mouseMove(vp, at_image(start + QPointF(0, 20)))
    qtbot.mouseMove(vp, at_image(start + QPointF(0, 40)))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=at_image(start + QPointF(0, 40)))
    grown = box.sides["bottom"].value()
    assert 36 <= grown <= 44, grown  # 40 image pixels, give or take a screen pixel
    assert handles.sides["bottom"] == grown
    assert box.size_label.text() == f"New size: {128 + 256} x {96 + grown}"
    assert not ws.doc.mask.any() and ws.history.labels() == ["Original"]  # no click landed
    type_into(qtbot, box.sides["right"], "64")
    assert handles.sides["right"] == 64  # the spin box moves the handle
    click(qtbot, box.cancel_button)
    qtbot.waitUntil(lambda: ws.expand_box is None)
    assert not handles.active


def test_gallery_entry_names_the_last_edit_and_every_model():
    from studio.ui.workspaces.canvas.exporting import gallery_entry

    meta = {
        "source": "beach.png",
        "size": [384, 96],
        "edits": [
            {"op": "Remove", "model": "lama-big", "feather_px": 4},
            {
                "op": "Expand",
                "model": "sdxl-inpaint",
                "prefill_model": "lama-big",
                "seed": 5,
                "prompt": "a sandy beach",
            },
        ],
    }
    kind, settings, models = gallery_entry(meta)
    assert kind == "expand" and models == ["lama-big", "sdxl-inpaint"]
    assert settings["prompt"] == "a sandy beach" and settings["seed"] == 5
    assert settings["source"] == "beach.png" and len(settings["edits"]) == 2
    assert gallery_entry({"source": "x.png", "edits": []})[0] == "original"


def test_cancelling_an_expand_changes_nothing(workspace, qtbot, install, sdxl, photo_file, photo):
    install("lama-big")
    ws = workspace
    open_file(qtbot, ws, photo_file)
    box = open_expand(qtbot, ws)
    click(qtbot, box.ok_button)
    assert ws.controller.action_job.kind == "canvas.expand"
    assert not ws.panel.expand_button.isEnabled()  # one action at a time
    click(qtbot, ws.busy.cancel_button)
    wait_job(qtbot, ws)
    assert "cancelled" in ws.panel.status.text()
    assert ws.doc.size == (128, 96) and (ws.doc.image == photo).all()
    assert ws.history.labels() == ["Original"] and ws.panel.expand_button.isEnabled()
