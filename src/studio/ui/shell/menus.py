"""The main window's menu bar: File, Edit, View, Tools, Help.

The File / Edit / View entries named in :data:`workspace_actions.ACTIONS` are window-wide
actions (they work wherever the focus is in the window) that run on the current workspace;
their enabled state is the workspace's answer, re-read on a switch and on its
``actions_changed``. A focused text field keeps Undo / Redo / Select All for its own text
while it has something to undo, redo or select (:mod:`studio.ui.shell.text_keys`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from studio.ui.shell import workspace_actions
from studio.ui.shell.recent import menu_label
from studio.ui.shell.text_keys import TextFieldKeys, focused_field_for, run_in_field
from studio.ui.shell.theme_choice import THEME_CHOICES
from studio.ui.widgets.icons import set_icon

if TYPE_CHECKING:
    from studio.ui.shell.main_window import MainWindow

ICONS = {
    "open": "mdi6.folder-open-outline",
    "export": "mdi6.export",
    "export_as": "mdi6.file-export-outline",
    "undo": "mdi6.undo",
    "redo": "mdi6.redo",
    "select_all": "mdi6.select-all",
    "select_none": "mdi6.select-off",
    "invert_selection": "mdi6.select-inverse",
    "fit": "mdi6.fit-to-screen-outline",
    "actual_size": "mdi6.image-size-select-actual",
    "before_after": "mdi6.compare",
}
THEME_ICONS = {
    "dark": "mdi6.weather-night",
    "light": "mdi6.white-balance-sunny",
    "system": "mdi6.theme-light-dark",
}
# a line before these, grouping the menus as other editors do
SEPARATE_BEFORE = {"export", "select_all", "select_none"}


class WindowMenus(QObject):
    """Builds the menu bar of ``window`` and keeps its workspace actions' enabled state."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        bar = window.menuBar()
        self.menus = {
            title.strip("&"): bar.addMenu(title)
            for title in ("&File", "&Edit", "&View", "&Tools", "&Help")
        }
        self.actions: dict[str, QAction] = {}
        for name, (menu_name, label, keys) in workspace_actions.ACTIONS.items():
            menu = self.menus[menu_name]
            if name in SEPARATE_BEFORE:
                menu.addSeparator()
            action = self._action(label, ICONS.get(name, ""), keys, menu)
            action.triggered.connect(lambda _checked=False, n=name: self.trigger(n))
            self.actions[name] = action
            if name == "open":
                self.recent_menu = self._recent_menu()
        self._file_tools_help()
        self._view_extras()
        self.menus["Edit"].aboutToShow.connect(self.refresh)
        shortcuts = {name: action.shortcuts() for name, action in self.actions.items()}
        self.text_keys = TextFieldKeys(window, shortcuts)
        window.recent.changed.connect(self._fill_recent)
        self._fill_recent()
        self.refresh()

    def _action(
        self, label: str, icon: str, keys: tuple[str, ...] = (), menu: QMenu | None = None
    ) -> QAction:
        action = QAction(label, self.window)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        # Added to the window as well as to a menu: the keys work wherever the focus is in
        # this window (not in its dialogs, which are windows of their own).
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.window.addAction(action)
        if icon:
            set_icon(action, icon)
        if menu is not None:
            menu.addAction(action)
        return action

    def _file_tools_help(self) -> None:
        w = self.window
        self.menus["File"].addSeparator()
        self.gallery_action = self._action(
            "&Gallery…", "mdi6.image-multiple-outline", ("Ctrl+Shift+G",), self.menus["File"]
        )
        self.gallery_action.triggered.connect(lambda: w.open_gallery())
        self.menus["File"].addSeparator()
        self.quit_action = self._action("&Quit", "mdi6.exit-run", ("Ctrl+Q",), self.menus["File"])
        self.quit_action.triggered.connect(lambda: w.close())
        tools = self.menus["Tools"]
        self.models_action = self._action("&Models…", "mdi6.cube-outline", (), tools)
        self.models_action.triggered.connect(lambda: w.open_models())
        self.settings_action = self._action("&Settings…", "mdi6.cog-outline", (), tools)
        self.settings_action.triggered.connect(lambda: w.open_settings())
        help_menu = self.menus["Help"]
        self.shortcuts_action = self._action(
            "&Keyboard Shortcuts", "mdi6.keyboard-outline", ("F1",), help_menu
        )
        self.shortcuts_action.triggered.connect(lambda: w.open_shortcuts())
        self.welcome_action = self._action("&Welcome…", "mdi6.hand-wave-outline", (), help_menu)
        self.welcome_action.triggered.connect(lambda: w.open_welcome())
        self.about_action = self._action("&About Studio", "mdi6.information-outline", (), help_menu)
        self.about_action.triggered.connect(lambda: w.open_about())

    def _view_extras(self) -> None:
        view = self.menus["View"]
        view.addSeparator()
        self.jobs_action = self.window.jobs_dock.toggleViewAction()
        self.jobs_action.setText("&Jobs")
        self.jobs_action.setShortcut(QKeySequence("Ctrl+J"))
        set_icon(self.jobs_action, "mdi6.format-list-checks")
        self.window.addAction(self.jobs_action)
        view.addAction(self.jobs_action)
        self.theme_menu = view.addMenu("&Theme")
        set_icon(self.theme_menu.menuAction(), "mdi6.theme-light-dark")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name, label in THEME_CHOICES:
            action = self._action(label, THEME_ICONS[name], (), self.theme_menu)
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, n=name: self.window.set_theme(n))
            self.theme_actions[name] = action

    def show_theme(self, name: str) -> None:
        """Tick ``name`` in View > Theme."""
        if name in self.theme_actions:
            self.theme_actions[name].setChecked(True)

    def checked_theme(self) -> str:
        """The theme ticked in View > Theme."""
        return next((n for n, a in self.theme_actions.items() if a.isChecked()), "dark")

    # ---- Open Recent -------------------------------------------------------------------------
    def _recent_menu(self) -> QMenu:
        menu = self.menus["File"].addMenu("Open &Recent")
        set_icon(menu.menuAction(), "mdi6.history")
        return menu

    def _fill_recent(self) -> None:
        menu, recent = self.recent_menu, self.window.recent
        menu.clear()
        entries = recent.entries()
        for index, (key, path) in enumerate(entries):
            action = menu.addAction(menu_label(index, path, self.window.workspace_title(key)))
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, k=key, p=path: self._open(k, p))
        if entries:
            menu.addSeparator()
            clear = menu.addAction("&Clear Menu")
            set_icon(clear, "mdi6.delete-sweep-outline")
            clear.triggered.connect(lambda: recent.clear())
        else:
            menu.addAction("No recent files").setEnabled(False)
        menu.menuAction().setEnabled(bool(entries))

    def _open(self, key: str, path: str) -> None:
        self.window.open_recent(key, Path(path))

    # ---- workspace actions -------------------------------------------------------------------
    def trigger(self, name: str) -> None:
        """Run ``name``: in the focused text field when it has text to act on, else on the
        current workspace (if it is enabled there)."""
        field = focused_field_for(name, self.window)
        if field is not None:
            run_in_field(field, name)
        else:
            workspace_actions.run_action(self.window.current_workspace(), name)
        self.refresh()

    def refresh(self) -> None:
        """Enable each workspace action the current workspace (or a focused field) can run."""
        workspace = self.window.current_workspace()
        for name, action in self.actions.items():
            action.setEnabled(
                workspace_actions.action_enabled(workspace, name)
                or focused_field_for(name, self.window) is not None
            )
