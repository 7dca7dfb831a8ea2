"""Step 1 of the Headshots wizard: up to three selfies, each shown with its aligned face crop
or the reason it was rejected (no face, several faces, too small, dark, blurred).

The checks run as a ``headshots.check`` job (the workspace submits it); they need only the
face scorer that ships with Studio, so a selfie's problems show before any model download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.images import thumbnail_icon
from studio.ui.workspaces.headshots.dialogs import choose_images
from studio.ui.workspaces.headshots.tiles import placeholder_tile

MAX_SELFIES = 3
HINT = "Add 1-3 clear, well-lit photos with only your face (or drop them here)."
CROP = 150


def _tile(mark: str) -> QIcon:
    """A plain square where a photo has no face crop (checking, or rejected)."""
    return QIcon(placeholder_tile(CROP, mark))


class SelfieStep(QWidget):
    """The selfie list and its buttons; the workspace checks what ``added`` brings."""

    added = Signal(list)  # the photos the user picked (paths)
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_button = QPushButton("&Add selfies…")
        self.add_button.clicked.connect(lambda: choose_images(self, "Add selfies", self.added.emit))
        self.clear_button = QPushButton("Clea&r", enabled=False)
        self.clear_button.clicked.connect(lambda: self.clear())
        self.list = QListWidget(viewMode=QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(CROP, CROP))
        self.list.setGridSize(QSize(CROP + 60, CROP + 84))  # room for a 4-line reason
        self.list.setWordWrap(True)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.status = QLabel(HINT)
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.clear_button)
        row.addStretch()
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.list)
        lay.addWidget(self.status)

    def clear(self) -> None:
        self.list.clear()
        self.status.setText(HINT)
        self.clear_button.setEnabled(False)
        self.cleared.emit()

    def show_checking(self, files: list[Path], dropped: int) -> None:
        self.list.clear()
        for f in files:
            self.list.addItem(QListWidgetItem(_tile("…"), f"{f.name}\nchecking…"))
        extra = f" Only the first {MAX_SELFIES} photos are used." if dropped else ""
        self.status.setText(f"Checking {len(files)} photo(s)…{extra}")
        self.clear_button.setEnabled(True)

    def show_checks(self, files: list[Path], result: Any) -> list[bool]:
        """Show each photo's crop or its problem; returns which ones were accepted."""
        self.list.clear()
        for path, report in zip(files, result.reports, strict=False):
            if report.ok:
                item = QListWidgetItem(thumbnail_icon(report.crop, CROP), f"✓ {path.name}")
                item.setToolTip(
                    f"sharpness {report.sharpness:.0f}, brightness {report.brightness:.0f}"
                )
            else:
                item = QListWidgetItem(_tile("✗"), f"✗ {path.name}\n{report.message}")
                item.setToolTip(report.message)
            self.list.addItem(item)
        problems = [r.message for r in result.reports if not r.ok]
        if not result.same_person:
            problems.append("These photos do not look like the same person.")
        ready = f"{result.accepted} of {len(result.reports)} selfie(s) ready."
        self.status.setText("\n".join([*problems, ready]))
        return [r.ok for r in result.reports]
