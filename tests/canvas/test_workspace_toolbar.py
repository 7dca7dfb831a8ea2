"""The tool bar, the tool keys, the "More" fold, click markers and the busy badge, used as a
person does: keys pressed where the focus is, real clicks on the view and the buttons."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from studio.ui.workspaces.canvas.overlay import EXCLUDE_COLOUR, INCLUDE_COLOUR
from studio.ui.workspaces.canvas.panel import ToolPanel
from tests.canvas.conftest import open_file
from tests.canvas.test_workspace_select import at, wait_selected

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


@pytest.fixture
def active(workspace, qtbot):
    """The workspace's window active, as a user's is (tool keys belong to the window)."""
    workspace.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is workspace)
    return workspace


def test_tool_keys_pick_the_tool_where_the_focus_is(active, qtbot, photo_file):
    ws, bar, view = active, active.toolbar, active.view
    open_file(qtbot, ws, photo_file)
    qtbot.mouseClick(view.viewport(), LEFT, pos=QPoint(2, 2))  # beside the image
    assert QApplication.focusWidget() is view and ws.controller.segment_job is None
    for key, tool in ((Qt.Key.Key_B, "brush"), (Qt.Key.Key_E, "eraser"), (Qt.Key.Key_C, "select")):
        qtbot.keyClick(view, key)
        assert view.tool == tool and bar.tool_actions[tool].isChecked()
    assert [a.isChecked() for a in bar.tool_actions.values()] == [True, False, False]
    # the history strip has the focus after a click on it: the keys still pick tools
    qtbot.mouseClick(ws.history.viewport(), LEFT, pos=QPoint(5, 5))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_B)
    assert view.tool == "brush"
    # [ and ] size the brush; the view paints with the tool bar's size
    bar.brush_size.setValue(10)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_BracketRight)
    assert bar.brush_size.value() == 12 and view.brush_size == 12
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_BracketLeft)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_BracketLeft)
    assert bar.brush_label.text() == "8 px" and view.brush_size == 8


def next_panel(qtbot):
    """The panel of the next Canvas the user opens."""
    panel = ToolPanel()
    qtbot.addWidget(panel)
    return panel


def test_more_folds_fills_advanced_settings_and_is_remembered(workspace, qtbot):
    p = workspace.panel
    assert not p.more.isVisible() and not p.steps.isVisible()  # folded by default
    qtbot.mouseClick(p.more_button, LEFT)
    assert p.more.isVisible() and p.steps.isVisible() and p.work_side.isVisible()
    assert next_panel(qtbot).more_button.isChecked()  # the next Canvas opens it unfolded
    qtbot.mouseClick(p.more_button, LEFT)
    assert not p.steps.isVisible()
    assert not next_panel(qtbot).more_button.isChecked()


def marker_colour(view, x, y):
    """The colour on screen a few pixels off the marker's centre (the centre is its cross)."""
    point = at(view, x, y)
    return view.viewport().grab().toImage().pixelColor(point.x() + 4, point.y() + 4)


def close_to(colour, expected, tolerance=40):
    return all(
        abs(a - b) <= tolerance
        for a, b in zip(colour.getRgb()[:3], expected.getRgb()[:3], strict=True)
    )


def test_clicks_are_drawn_where_the_user_clicked_with_a_busy_badge_meanwhile(
    workspace, qtbot, install, photo_file
):
    install("sam-vit-b")
    ws, view = workspace, workspace.view
    open_file(qtbot, ws, photo_file)
    assert not ws.busy.isVisible() and ws.view.markers.items == []

    qtbot.mouseClick(view.viewport(), LEFT, pos=at(view, 40, 30))
    # at once, before the model answers: the point and "Selecting…" on the canvas
    assert [m.data(0) for m in view.markers.items] == ["include"]
    assert ws.busy.isVisible() and ws.busy.label.text() == "Selecting…"
    assert not ws.busy.cancel_button.isVisible()
    wait_selected(qtbot, ws)
    assert not ws.busy.isVisible()

    qtbot.mouseClick(view.viewport(), RIGHT, pos=at(view, 90, 70))
    wait_selected(qtbot, ws)
    markers = view.markers.items
    assert [m.data(0) for m in markers] == ["include", "exclude"]
    assert [(round(m.pos().x()), round(m.pos().y())) for m in markers] == [(40, 30), (90, 70)]
    assert close_to(marker_colour(view, 40, 30), INCLUDE_COLOUR)
    assert close_to(marker_colour(view, 90, 70), EXCLUDE_COLOUR)

    ws.doc.stack.undo()  # back to one click: one marker
    assert [m.data(0) for m in view.markers.items] == ["include"]
    qtbot.mouseClick(ws.panel.clear_button, LEFT)  # a mask without clicks: no markers
    assert view.markers.items == []
    assert not close_to(marker_colour(view, 40, 30), INCLUDE_COLOUR)


def test_the_before_after_line_drags_on_the_canvas(workspace, qtbot, photo_file):
    ws, view, bar = workspace, workspace.view, workspace.toolbar
    open_file(qtbot, ws, photo_file)
    ws.doc.apply_image(255 - ws.doc.image, "Remove", {})
    qtbot.mouseClick(bar.widgetForAction(bar.compare_action), LEFT)
    assert bar.compare.value() == 50 and view.before_clip.rect().width() == 64
    vp = view.viewport()
    qtbot.mousePress(vp, LEFT, pos=at(view, 64, 48))
    qtbot.mouseMove(vp, at(view, 48, 48))
    qtbot.mouseMove(vp, at(view, 32, 48))
    qtbot.mouseRelease(vp, LEFT, pos=at(view, 32, 48))
    assert bar.compare.value() == 25 and view.before_clip.rect().width() == 32
    assert ws.controller.segment_job is None and ws.doc.stack.count() == 1  # no click, no box
    qtbot.mouseClick(bar.widgetForAction(bar.compare_action), LEFT)  # off again
    assert bar.compare.value() == 0 and not view.before_clip.isVisible()
