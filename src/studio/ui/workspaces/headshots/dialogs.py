"""File and folder choosers that do not block: a ``QFileDialog`` opened window-modal.

``QFileDialog.getOpenFileNames`` and friends run a nested event loop until the user answers.
These open the same dialog (native where the platform has one) with ``open()`` and call
``on_chosen`` when the user accepts; nothing happens on cancel. The dialog is a child of
``parent`` while it is open and deletes itself when it closes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.heic)"


def _open(parent: QWidget, title: str, start: str, name_filter: str) -> QFileDialog:
    dialog = QFileDialog(parent, title, start, name_filter)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog


def choose_images(
    parent: QWidget, title: str, on_chosen: Callable[[list[Path]], None]
) -> QFileDialog:
    """Ask for one or more existing image files; ``on_chosen(paths)`` when accepted."""
    dialog = _open(parent, title, "", IMAGE_FILTER)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.filesSelected.connect(lambda files: on_chosen([Path(f) for f in files]))
    dialog.open()
    return dialog


def choose_folder(
    parent: QWidget, title: str, start: str, on_chosen: Callable[[Path], None]
) -> QFileDialog:
    """Ask for a folder (it may be created in the dialog); ``on_chosen(path)`` when accepted."""
    dialog = _open(parent, title, start, "")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.fileSelected.connect(lambda folder: folder and on_chosen(Path(folder)))
    dialog.open()
    return dialog
