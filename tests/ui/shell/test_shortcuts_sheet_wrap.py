"""Help > Keyboard Shortcuts: a long action is shown whole, not cut to '...'."""

from __future__ import annotations

from studio.ui.shell.shortcuts_sheet import ShortcutsSheet

LONG = (
    "Click tool: click adds to the selection, right-click removes from it, "
    "a drag selects what is inside the box"
)


def test_a_long_action_is_shown_whole(qtbot):
    sheet = ShortcutsSheet([("Canvas", [("Brush", "B"), (LONG, "Space+drag, middle-drag")])])
    qtbot.addWidget(sheet)
    sheet.show()
    qtbot.waitExposed(sheet)
    long = sheet.tree.topLevelItem(0).child(1)
    rect = sheet.tree.visualItemRect(long)  # the Action cell, inside its indentation
    needed = sheet.tree.fontMetrics().horizontalAdvance(LONG)
    assert rect.width() >= needed + 8  # the text and the cell's margins
    assert sheet.tree.columnWidth(1) >= sheet.tree.fontMetrics().horizontalAdvance(
        "Space+drag, middle-drag"
    )
    assert sheet.width() <= 900 and long.toolTip(0) == LONG
