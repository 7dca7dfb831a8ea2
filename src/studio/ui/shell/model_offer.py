"""The question asked when a job needs models that are not installed: download them now?"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget

from studio.core.errors import format_size
from studio.models.catalogue import ModelEntry


def missing_model_box(parent: QWidget, message: str, entries: Sequence[ModelEntry]) -> QMessageBox:
    """A Yes/No box naming each model with its size and licence (not yet opened)."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Model needed",
        message,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setObjectName("missingModelBox")
    listing = "; ".join(
        f"{e.name} ({format_size(e.size_bytes)}, licence: {e.licence})" for e in entries
    )
    box.setInformativeText(f"Download now? {listing}.")
    return box
