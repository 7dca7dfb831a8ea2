"""A folder shown in full where it fits, elided in the middle where it does not (the full
path in its tooltip), with Browse… and Open folder buttons."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QResizeEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from studio.ui.widgets.icons import set_icon

HINT_MAX = 460  # px


class ElidedPathLabel(QLabel):
    """A label for a path: "/home/ann/…/studio/models" when narrow; selectable; full in its
    tooltip. Its size hint is the whole path up to :data:`HINT_MAX` px (a deep path must not
    make its dialog wider than the screen); its minimum is small."""

    def __init__(self, path: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._path = ""
        self.set_path(path)

    def path(self) -> str:
        return self._path

    def set_path(self, path: str) -> None:
        self._path = path
        self.setToolTip(path)
        self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802
        width = min(self.fontMetrics().horizontalAdvance(self._path) + 8, HINT_MAX)
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        self.setText(self.fontMetrics().elidedText(self._path, Qt.TextElideMode.ElideMiddle, width))


class FolderRow(QWidget):
    """The chosen folder (or ``default`` when none is chosen) and its buttons."""

    changed = Signal(str)

    def __init__(self, folder: str, default: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._folder, self._default, self._title = folder, default, title
        self.label = ElidedPathLabel()
        self.label.setObjectName("folderPath")
        self.browse_button = QPushButton("&Browse…")
        set_icon(self.browse_button, "mdi6.folder-search-outline")
        self.open_button = QPushButton("Open &folder")
        set_icon(self.open_button, "mdi6.folder-open-outline")
        self.browse_button.clicked.connect(lambda: self.browse())
        self.open_button.clicked.connect(lambda: self.open_folder())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.browse_button)
        row.addWidget(self.open_button)
        self._show()

    def folder(self) -> str:
        """The chosen folder; empty for the default."""
        return self._folder

    def shown_path(self) -> str:
        return self._folder or self._default

    def set_folder(self, folder: str) -> None:
        self._folder = folder
        self._show()
        self.changed.emit(folder)

    def _show(self) -> None:
        path = self.shown_path()
        self.label.set_path(path + ("" if self._folder else "  (default)"))
        self.label.setToolTip(path)
        exists = Path(path).is_dir()
        self.open_button.setEnabled(exists)
        self.open_button.setToolTip(
            f"Show {path} in the file manager"
            if exists
            else "The folder does not exist yet: the first download makes it."
        )

    def browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self._title, self.shown_path())
        if folder:
            self.set_folder(folder)

    def open_folder(self) -> bool:
        """Show the folder in the system's file manager; False when that failed."""
        return QDesktopServices.openUrl(QUrl.fromLocalFile(self.shown_path()))
