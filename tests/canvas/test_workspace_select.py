"""Click-to-select through the real service and tiny SAM; brush, eraser, mask ops, undo."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt

from studio.pipelines.canvas import masks
from studio.pipelines.canvas.segment import SegmentRequest
from studio.pipelines.canvas.segment import run as segment
from studio.services.jobs import Priority
from tests.canvas.conftest import open_file


def at(view, x, y) -> QPoint:
    """The viewport position of image pixel (x, y)."""
    return view.mapFromScene(view.image_item.mapToScene(QPointF(x, y)))


def wait_selected(qtbot, ws):
    qtbot.waitUntil(lambda: ws.controller.segment_job is None, timeout=30000)


def test_clicks_run_sam_jobs_and_update_the_mask(
    workspace, qtbot, install, photo_file, photo, run_context
):
    install("sam-vit-b")
    ws, view = workspace, workspace.view
    open_file(qtbot, ws, photo_file)
    submitted = []
    ws.service.job_queued.connect(submitted.append)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at(view, 60, 40))
    assert submitted[-1].kind == "canvas.segment"
    assert submitted[-1].priority is Priority.INTERACTIVE
    wait_selected(qtbot, ws)
    sel = ws.doc.selection
    assert len(sel.points) == 1 and sel.labels == (1,)
    x, y = sel.points[0]
    assert abs(x - 60) <= 1 and abs(y - 40) <= 1
    # the same request straight through the pipeline gives the very same mask
    direct = segment(SegmentRequest(image=photo, points=list(sel.points), labels=[1]), run_context)
    assert (sel.mask == direct.mask).all()
    assert not view.mask_item.pixmap().isNull()

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=at(view, 20, 80))
    wait_selected(qtbot, ws)
    assert ws.doc.selection.labels == (1, 0)
    assert ws.doc.stack.count() == 2
    ws.doc.stack.undo()
    assert ws.doc.selection.labels == (1,) and ws.controller.clicks.labels == [1]


def test_drag_draws_a_box(workspace, qtbot, install, photo_file):
    install("sam-vit-b")
    ws, view = workspace, workspace.view
    open_file(qtbot, ws, photo_file)
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=at(view, 20, 20))
    qtbot.mouseMove(vp, at(view, 50, 40))
    assert view.rubber.isVisible()
    qtbot.mouseMove(vp, at(view, 90, 70))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=at(view, 90, 70))
    wait_selected(qtbot, ws)
    box = ws.doc.selection.box
    assert box is not None and all(
        abs(a - b) <= 1.5 for a, b in zip(box, (20, 20, 90, 70), strict=True)
    )
    assert ws.doc.selection.points == ()


def test_missing_sam_model_reports_and_keeps_the_mask(workspace, qtbot, photo_file):
    ws = workspace
    open_file(qtbot, ws, photo_file)
    ws.controller.add_point(10, 10, 1)
    wait_selected(qtbot, ws)
    assert "not installed" in ws.panel.status.text()
    assert not ws.doc.mask.any() and ws.controller.clicks.points == []


def test_brush_eraser_and_mask_ops_are_undoable(workspace, qtbot, photo_file):
    ws, view = workspace, workspace.view
    open_file(qtbot, ws, photo_file)
    ws.toolbar.brush_size.setValue(10)
    qtbot.mouseClick(ws.toolbar.tool_buttons["brush"], Qt.MouseButton.LeftButton)
    assert view.tool == "brush"
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=at(view, 20, 50))
    qtbot.mouseMove(vp, at(view, 60, 50))
    qtbot.mouseMove(vp, at(view, 100, 50))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=at(view, 100, 50))
    mask = ws.doc.mask
    assert mask[50, 20] == 255 and mask[50, 60] == 255 and mask[50, 100] == 255
    assert mask[20, 60] == 0 and mask[80, 60] == 0
    assert ws.doc.stack.count() == 1  # one stroke, one undo step
    assert ws.panel.remove_button.isEnabled()

    qtbot.mouseClick(ws.toolbar.tool_buttons["eraser"], Qt.MouseButton.LeftButton)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=at(view, 60, 50))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=at(view, 60, 50))
    assert ws.doc.mask[50, 60] == 0 and ws.doc.mask[50, 20] == 255

    painted = ws.doc.mask.copy()
    ws.panel.mask_px.setValue(3)
    qtbot.mouseClick(ws.panel.grow_button, Qt.MouseButton.LeftButton)
    assert (ws.doc.mask == masks.grow(painted, 3)).all()
    qtbot.mouseClick(ws.panel.invert_button, Qt.MouseButton.LeftButton)
    assert (ws.doc.mask == 255 - masks.grow(painted, 3)).all()
    qtbot.mouseClick(ws.panel.clear_button, Qt.MouseButton.LeftButton)
    assert not ws.doc.mask.any() and not ws.panel.remove_button.isEnabled()
    for _ in range(3):
        ws.doc.stack.undo()
    assert (ws.doc.mask == painted).all()
    ws.doc.stack.undo()
    ws.doc.stack.undo()
    assert not ws.doc.mask.any()
    ws.doc.stack.redo()
    assert ws.doc.mask[50, 60] == 255
