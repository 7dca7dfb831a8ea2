"""Canvas keys that work wherever the focus is inside the workspace.

Undo (Ctrl+Z) and Redo (Ctrl+Y, Ctrl+Shift+Z) are workspace actions. A text field claims
those keys for its own text; it keeps them only while it has text to undo or redo, otherwise
they undo the canvas (after Remove the disabled button hands focus to the next field, and
"Undo with Ctrl+Z" must still work there). Holding B shows the "before" image; an event
filter on every widget of the workspace sees B first, so a list never searches for "b" and
a button never eats it, except in a text field, where B is a letter.
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
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

UNDO_KEYS = ("Ctrl+Z",)
REDO_KEYS = ("Ctrl+Y", "Ctrl+Shift+Z")


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
    """Undo / redo actions on ``workspace`` and the hold-B before/after key."""

    def __init__(
        self,
        workspace: QWidget,
        undo: Callable[[], None],
        redo: Callable[[], None],
        show_before: Callable[[bool], None],
    ) -> None:
        super().__init__(workspace)
        self.workspace, self.show_before = workspace, show_before
        self.undo_action = self._action("Undo", UNDO_KEYS, undo)
        self.redo_action = self._action("Redo", REDO_KEYS, redo)
        self.holding_b = False
        self.watch(workspace)

    def _action(self, text: str, keys: tuple[str, ...], slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.workspace)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda: slot())
        self.workspace.addAction(action)
        return action

    def watch(self, root: QWidget) -> None:
        """Filter the keys of ``root`` and every widget in it (the workspace is built once)."""
        for widget in [root, *root.findChildren(QWidget)]:
            widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride:
            return self._override(obj, event)
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return self._b_key(obj, event, kind == QEvent.Type.KeyPress)
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

    def _b_key(self, obj: QObject, event: Any, press: bool) -> bool:
        if event.key() != Qt.Key.Key_B:
            return False
        if not press and self.holding_b and not event.isAutoRepeat():
            self.holding_b = False  # wherever the focus went meanwhile
            self.show_before(False)
            return True
        if _types_text(obj):
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False  # Ctrl+B and friends are someone else's
        if event.isAutoRepeat():
            return True
        if press != self.holding_b:
            self.holding_b = press
            self.show_before(press)
        return True
