"""Canvas keys that work wherever the focus is inside the workspace.

Undo (Ctrl+Z) and Redo (Ctrl+Y, Ctrl+Shift+Z), Open, Export (Ctrl+S) and Paste are workspace
actions (``WidgetWithChildrenShortcut``: only while the focus is inside the workspace). A
text field claims Ctrl+Z / Ctrl+Y for its own text; it keeps them only while it has text to
undo or redo, otherwise they undo the canvas (after Remove the disabled button hands focus to
the next field, and "Undo with Ctrl+Z" must still work there).

In the main window the window's menus own Ctrl+O, Ctrl+Z, Ctrl+Y... (workspace_actions.py)
and ask the workspace to run them. Two enabled actions on one key cancel each other out
(Qt calls that an ambiguous shortcut and runs neither), so :meth:`CanvasKeys.defer_to_window`
disables each of these actions whose key the window already has: every key fires once.

Holding backslash shows the "before" image (B is the brush); an event filter on every widget
of the workspace sees it first, so a list never searches for it and a button never eats it,
except in a text field, where it is a character.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

UNDO_KEYS = ("Ctrl+Z",)
REDO_KEYS = ("Ctrl+Y", "Ctrl+Shift+Z")
HOLD_BEFORE_KEY = Qt.Key.Key_Backslash


def _text_field(widget: Any) -> QLineEdit | None:
    """The line edit that types into ``widget`` (itself, a spin box's or a combo's)."""
    if isinstance(widget, QLineEdit):
        return widget
    if isinstance(widget, QAbstractSpinBox) or (
        isinstance(widget, QComboBox) and widget.isEditable()
    ):
        return widget.findChild(QLineEdit)
    return None


def _types_text(widget: Any) -> bool:
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return not widget.isReadOnly()
    edit = widget if isinstance(widget, QLineEdit) else None
    if isinstance(widget, QComboBox) and widget.isEditable():
        edit = widget.lineEdit()
    return edit is not None and not edit.isReadOnly()


class CanvasKeys(QObject):
    """Undo / redo (and other) actions on ``workspace`` and the hold-\\ before/after key."""

    def __init__(
        self,
        workspace: QWidget,
        undo: Callable[[], None],
        redo: Callable[[], None],
        show_before: Callable[[bool], None],
    ) -> None:
        super().__init__(workspace)
        self.workspace, self.show_before = workspace, show_before
        self.actions: list[QAction] = []
        self.undo_action = self.add("Undo", UNDO_KEYS, undo)
        self.redo_action = self.add("Redo", REDO_KEYS, redo)
        self.holding_before = False
        self.watch(workspace)

    def add(self, text: str, keys: tuple[str, ...], slot: Callable[[], Any]) -> QAction:
        """A workspace action on ``keys`` (key names, e.g. "Ctrl+Z")."""
        action = QAction(text, self.workspace)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda: slot())
        self.workspace.addAction(action)
        self.actions.append(action)
        return action

    def defer_to_window(self) -> list[str]:
        """Disable each action whose key an action of the window outside the workspace has
        too (the window's menus then run it through the workspace contract); the texts of
        those disabled. Called whenever the workspace is shown: the window is built by then."""
        window = self.workspace.window()
        if window is self.workspace:
            return []
        # Its actions wherever they are parented: children, added to it, or in its menus.
        found = {*window.findChildren(QAction), *window.actions()}
        for menu in window.findChildren(QMenu):
            found.update(menu.actions())
        taken = {
            seq.toString()
            for action in found
            if action not in self.actions and not self._inside(action)
            for seq in action.shortcuts()
        }
        deferred = []
        for action in self.actions:
            keys = {seq.toString() for seq in action.shortcuts()}
            action.setEnabled(not (keys & taken))
            if keys & taken:
                deferred.append(action.text())
        return deferred

    def _inside(self, action: QAction) -> bool:
        """An action of the workspace's own widgets (its tool bar's tool keys)."""
        parent = action.parent()
        return parent is self.workspace or (
            isinstance(parent, QWidget) and self.workspace.isAncestorOf(parent)
        )

    def watch(self, root: QWidget) -> None:
        """Filter the keys of ``root`` and every widget in it (the workspace is built once)."""
        for widget in [root, *root.findChildren(QWidget)]:
            widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride:
            return self._override(obj, event)
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return self._hold_key(obj, event, kind == QEvent.Type.KeyPress)
        return False

    def _override(self, obj: QObject, event: Any) -> bool:
        """True swallows the text field's claim on Ctrl+Z / Ctrl+Y, so the action fires."""
        edit = _text_field(obj)
        if edit is None or obj is not QApplication.focusWidget():
            return False
        pressed = QKeySequence(event.keyCombination())
        if any(pressed == s for s in self.undo_action.shortcuts()):
            return not edit.isUndoAvailable()
        if any(pressed == s for s in self.redo_action.shortcuts()):
            return not edit.isRedoAvailable()
        return False

    def _hold_key(self, obj: QObject, event: Any, press: bool) -> bool:
        if event.key() != HOLD_BEFORE_KEY:
            return False
        if not press and self.holding_before and not event.isAutoRepeat():
            self.holding_before = False  # wherever the focus went meanwhile
            self.show_before(False)
            return True
        if _types_text(obj):
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False  # Ctrl+\ and friends are someone else's
        if event.isAutoRepeat():
            return True
        if press != self.holding_before:
            self.holding_before = press
            self.show_before(press)
        return True
