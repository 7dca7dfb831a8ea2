"""The window's menus and application-wide shortcuts, run on a workspace through the
menu contract (workspace_actions). The real workspaces take part in it on their own
branches; here a small page built in the test stands in for one."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from studio.ui.shell import workspace_actions
from studio.ui.shell.recent import RecentFiles


class StandInPage(QWidget):
    """A workspace of the menu contract: a text field, a list; it records what it ran."""

    actions_changed = Signal()
    notify = Signal(str)
    opened_file = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.field = QLineEdit()
        self.field.setObjectName("standInField")
        self.list = QListWidget()
        self.list.addItems(["one", "two", "three"])
        layout = QVBoxLayout(self)
        layout.addWidget(self.field)
        layout.addWidget(self.list)
        self.ran: list[str] = []
        self.opened: list[Path] = []
        self.enabled = set(workspace_actions.ACTIONS)

    def action_enabled(self, name: str) -> bool:
        return name in self.enabled

    def run_action(self, name: str) -> None:
        self.ran.append(name)
        if name == "export":
            self.notify.emit("Saved to /tmp/result.png")

    def open_path(self, path) -> bool:
        self.opened.append(Path(path))
        self.opened_file.emit(str(path))
        return True

    def shortcut_list(self) -> list[tuple[str, str]]:
        return [("C", "Click to select"), ("B", "Brush")]

    def set_enabled(self, names: set[str]) -> None:
        self.enabled = names
        self.actions_changed.emit()


@pytest.fixture
def page(window, qtbot):
    """The stand-in page added to the window and picked in the navigation list by a click;
    the window is the active one, as when a user works in it."""
    stand_in = StandInPage()
    window.add_workspace("standin", "Stand-in", stand_in)
    row = window.nav.count() - 1
    rect = window.nav.visualItemRect(window.nav.item(row))
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_workspace() is stand_in
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return stand_in


@pytest.fixture
def kept_look(qapp):
    """The application's look put back after a test that changes the theme, so later tests
    see the default (as tests/ui/test_theme.py's ``app`` fixture does on the theme branch)."""
    palette, style, sheet = qapp.palette(), qapp.style().name() or "fusion", qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)
    for name in ("studioTheme", "studioThemeApplied", "studioThemeStyled"):
        qapp.setProperty(name, None)


def menu_actions(window) -> dict[str, dict[str, object]]:
    """Menu title -> {action text: action} (separators left out)."""
    return {
        top.text(): {a.text(): a for a in top.menu().actions() if not a.isSeparator()}
        for top in window.menuBar().actions()
    }


def keys(action) -> list[str]:
    return [k.toString() for k in action.shortcuts()]


def test_menus_like_other_editors_with_their_keys_and_icons(window):
    menus = menu_actions(window)
    assert list(menus) == ["&File", "&Edit", "&View", "&Tools", "&Help"]
    assert list(menus["&File"]) == [
        "&Open…",
        "Open &Recent",
        "&Export",
        "Export &As…",
        "&Gallery…",
        "&Quit",
    ]
    assert keys(menus["&File"]["&Gallery…"]) == ["Ctrl+Shift+G"]
    assert list(menus["&Edit"]) == [
        "&Undo",
        "&Redo",
        "Select &All",
        "Select &None",
        "&Invert Selection",
    ]
    assert list(menus["&View"]) == ["&Fit to Window", "&100%", "&Before / After", "&Jobs", "&Theme"]
    assert keys(menus["&File"]["&Open…"]) == ["Ctrl+O"]
    assert keys(menus["&Edit"]["&Undo"]) == ["Ctrl+Z"]
    assert keys(menus["&Edit"]["&Redo"]) == ["Ctrl+Y", "Ctrl+Shift+Z"]
    assert keys(menus["&Help"]["&Keyboard Shortcuts"]) == ["F1"]
    themes = [a.text() for a in menus["&View"]["&Theme"].menu().actions()]
    assert themes == ["&Dark", "&Light", "Follow &system"]
    for title, actions in menus.items():
        for text, action in actions.items():
            assert not action.icon().isNull(), f"{title} > {text} has no icon"
    # The real workspaces do not take part on this branch: nothing to run, all disabled.
    window.nav.setCurrentRow(0)
    assert not menus["&Edit"]["&Undo"].isEnabled()


def test_shortcuts_run_on_the_workspace_with_focus_in_an_empty_field(window, page, qtbot):
    qtbot.mouseClick(page.field, Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is page.field
    for key, modifiers in (
        (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
        (Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier),
    ):
        qtbot.keyClick(page.field, key, modifiers)
    assert page.ran == ["undo", "redo", "redo", "open", "select_all"]


def test_shortcuts_run_on_the_workspace_with_focus_in_a_list(window, page, qtbot):
    rect = page.list.visualItemRect(page.list.item(1))
    qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert QApplication.focusWidget() is page.list
    qtbot.keyClick(page.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.list, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.list, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert page.ran == ["undo", "redo", "fit"]
    assert page.list.currentRow() == 1


def test_a_field_with_text_to_undo_keeps_ctrl_z_until_it_has_none(window, page, qtbot):
    qtbot.mouseClick(page.field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.field, "abc")
    qtbot.keyClick(page.field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert page.field.text() == "" and page.ran == []  # the typing was undone
    qtbot.keyClick(page.field, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert page.field.text() == "abc" and page.ran == []  # and redone
    qtbot.keyClick(page.field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert page.field.text() == "" and page.ran == ["undo"]  # nothing left: the workspace's


def test_enabled_state_follows_the_workspace(window, page, qtbot):
    undo = menu_actions(window)["&Edit"]["&Undo"]
    assert undo.isEnabled()
    page.set_enabled({"open"})  # e.g. nothing to undo any more: actions_changed
    assert not undo.isEnabled()
    qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(page.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert page.ran == []
    window.add_workspace("plain", "Plain", QWidget())  # a page that does not take part
    window.nav.setCurrentRow(window.nav.count() - 1)
    assert not menu_actions(window)["&File"]["&Open…"].isEnabled()


def test_open_recent_lists_an_opened_file_and_reopens_it(window, page, qtbot, tmp_path):
    photo = tmp_path / "holiday & sea.png"
    photo.write_bytes(b"not read by the stand-in")
    page.open_path(photo)  # as the workspace reports a file the user opened
    recent = menu_actions(window)["&File"]["Open &Recent"].menu()
    labels = [a.text() for a in recent.actions() if not a.isSeparator()]
    assert labels == ["&1 holiday && sea.png  (Stand-in)", "&Clear Menu"]
    assert RecentFiles(window.qsettings).entries() == [("standin", str(photo))]  # in window.ini
    window.nav.setCurrentRow(0)
    recent.actions()[0].trigger()
    assert window.current_workspace() is page
    assert page.opened == [photo, photo]


def test_open_recent_drops_a_missing_file_with_a_message(window, page, qtbot, tmp_path):
    gone = tmp_path / "gone.png"
    page.opened_file.emit(str(gone))
    recent = menu_actions(window)["&File"]["Open &Recent"].menu()
    recent.actions()[0].trigger()
    box = window.open_problems_box
    assert box.isVisible() and "'gone.png' is no longer in" in box.text()
    assert page.opened == [] and RecentFiles(window.qsettings).entries() == []
    assert not recent.menuAction().isEnabled()
    box.close()


def test_f1_opens_the_shortcuts_sheet_with_the_workspace_keys(window, page, qtbot):
    qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(page.list, Qt.Key.Key_F1)
    sheet = window.shortcuts_sheet
    assert sheet.isVisible()
    rows = sheet.rows()
    assert ("Undo", "Ctrl+Z") in rows["Edit"]
    assert ("Redo", "Ctrl+Y, Ctrl+Shift+Z") in rows["Edit"]
    assert ("Open", "Ctrl+O") in rows["File"]
    assert rows["Stand-in"] == [("Click to select", "C"), ("Brush", "B")]
    qtbot.keyClicks(sheet.filter, "redo")
    assert {g: r for g, r in sheet.rows().items() if r} == {
        "Edit": [("Redo", "Ctrl+Y, Ctrl+Shift+Z")]
    }
    from tests.ui.mnemonics import assert_unique_mnemonics

    clear_field_button = ("",)  # the filter's clear button: an icon, no text
    letters = assert_unique_mnemonics(sheet, skip=clear_field_button)
    assert letters == {"f": "&Find", "c": "&Close"}
    sheet.close()


def test_a_notify_message_shows_as_a_toast_and_in_the_status_bar(window, page, qtbot):
    qtbot.mouseClick(page.field, Qt.MouseButton.LeftButton)
    qtbot.keyClick(page.field, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # Export
    assert page.ran == ["export"]
    assert window.toast.isVisible() and window.toast.text() == "Saved to /tmp/result.png"
    assert window.statusBar().currentMessage() == "Saved to /tmp/result.png"
    toast = window.toast.geometry()
    central = window.centralWidget().rect()
    assert central.contains(toast) and toast.bottom() > central.height() * 0.8  # at the bottom
    assert QApplication.focusWidget() is page.field  # the toast took no focus
    qtbot.waitUntil(lambda: not window.toast.isVisible(), timeout=10000)


def test_theme_choice_is_ticked_and_remembered(window, qtbot, kept_look):
    from studio.ui.shell.theme_choice import stored_theme

    themes = {a.text(): a for a in menu_actions(window)["&View"]["&Theme"].menu().actions()}
    assert themes["&Dark"].isChecked()  # the default
    themes["&Light"].trigger()
    assert themes["&Light"].isChecked() and not themes["&Dark"].isChecked()
    assert stored_theme(window.settings, window.qsettings) == "light"
    assert window.menus.checked_theme() == "light"
    themes["&Dark"].trigger()
    assert stored_theme(window.settings, window.qsettings) == "dark"


def test_theme_chosen_in_settings_is_applied_by_the_window(window, qtbot, kept_look):
    dialog = window.open_settings()
    combo = dialog.theme
    assert combo.isVisible() and combo.currentData() == "dark"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == "light"
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert window.menus.checked_theme() == "light"


def test_ctrl_j_hides_and_shows_the_jobs_panel_from_a_list(window, page, qtbot):
    assert window.jobs_dock.isVisible()
    qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(page.list, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert not window.jobs_dock.isVisible()
    assert not menu_actions(window)["&View"]["&Jobs"].isChecked()
    qtbot.keyClick(page.list, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert window.jobs_dock.isVisible()


def test_a_finished_download_is_announced_in_a_toast(window, qtbot):
    with qtbot.waitSignal(window.downloads.job_finished, timeout=10000):
        window.download_model("taesd")
    qtbot.waitUntil(lambda: window.toast.isVisible())
    assert window.toast.text().endswith(": done") and "TAESD" in window.toast.text()
