"""Text fields keep their own Undo / Redo / Select All while those do something to the text;
otherwise the window's application-wide actions get the keys.

Qt asks the focused widget first (a ``ShortcutOverride`` event), and a line edit claims
Ctrl+Z, Ctrl+Y and Ctrl+A even when it has nothing to undo or no text, which would make the
window's shortcuts dead whenever the focus sits in an empty field. :class:`TextFieldKeys`
withdraws that claim when the field has nothing to do with the key.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

TEXT_ACTIONS = ("undo", "redo", "select_all")


def text_field(widget: Any) -> QLineEdit | QTextEdit | QPlainTextEdit | None:
    """The editable text field that ``widget`` types into (itself, a spin box's or an
    editable combo's line edit), or None."""
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return None if widget.isReadOnly() else widget
    if isinstance(widget, QAbstractSpinBox) or (
        isinstance(widget, QComboBox) and widget.isEditable()
    ):
        widget = widget.findChild(QLineEdit)
    if isinstance(widget, QLineEdit) and not widget.isReadOnly():
        return widget
    return None


def field_can(field: QLineEdit | QTextEdit | QPlainTextEdit, name: str) -> bool:
    """Whether ``field`` does something of its own for the action ``name``."""
    if isinstance(field, QLineEdit):
        if name == "undo":
            return field.isUndoAvailable()
        if name == "redo":
            return field.isRedoAvailable()
        return name == "select_all" and bool(field.text())
    document = field.document()
    if name == "undo":
        return document.isUndoAvailable()
    if name == "redo":
        return document.isRedoAvailable()
    return name == "select_all" and not document.isEmpty()


def run_in_field(field: QLineEdit | QTextEdit | QPlainTextEdit, name: str) -> None:
    {"undo": field.undo, "redo": field.redo, "select_all": field.selectAll}[name]()


def focused_field_for(name: str, window: QWidget) -> QLineEdit | QTextEdit | QPlainTextEdit | None:
    """The focused text field in ``window`` that handles ``name`` itself now, or None."""
    if name not in TEXT_ACTIONS:
        return None
    focus = QApplication.focusWidget()
    if focus is None or not window.isAncestorOf(focus):
        return None
    field = text_field(focus)
    return field if field is not None and field_can(field, name) else None


class TextFieldKeys(QObject):
    """An application event filter for ``window``: a focused text field in it keeps the keys
    of ``shortcuts`` (action name -> key sequences) only while it has something to do with
    them; then the window's action runs instead."""

    def __init__(self, window: QWidget, shortcuts: dict[str, list[QKeySequence]]) -> None:
        super().__init__(window)
        self.window, self.shortcuts = window, shortcuts
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ShortcutOverride:
            return False
        if not isinstance(obj, QWidget) or not self.window.isAncestorOf(obj):
            return False
        field = text_field(obj)
        if field is None:
            return False
        pressed = QKeySequence(event.keyCombination())  # type: ignore[attr-defined]
        for name in TEXT_ACTIONS:
            if any(pressed == key for key in self.shortcuts.get(name, ())):
                # True: the field's claim is withdrawn and the window's shortcut fires.
                return not field_can(field, name)
        return False
