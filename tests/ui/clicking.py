"""Driving real widgets the way a user does, shared by the workspaces' button tests."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit


def answer_file_dialog(qtbot, path):
    """Put ``path`` in the next file dialog's name field and press Enter, once its loop runs
    (the whole path at once: typed letter by letter, the dialog navigates on each "/")."""

    def answer():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(10, answer)
            return
        try:
            edit = dialog.findChild(QLineEdit, "fileNameEdit")
            edit.setText(str(path))
            qtbot.keyClick(edit, Qt.Key.Key_Return)
        finally:
            if dialog.isVisible():  # never leave a test waiting on a dialog
                dialog.reject()

    QTimer.singleShot(0, answer)


def click(qtbot, button):
    """A mouse click on ``button``, which must be visible and enabled (as for a user)."""
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
