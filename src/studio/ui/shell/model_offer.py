"""The question asked when a job needs models that are not installed: download them now?"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget

from studio.core.errors import format_size
from studio.models.catalogue import ModelEntry


def missing_model_box(parent: QWidget, message: str, entries: Sequence[ModelEntry]) -> QMessageBox:
    """A Yes/No box naming each model with its size and licence (not yet opened).

    The question is written for the window: ``message`` (the job's error, which ends with the
    command line's ``studio models download ...``) is used only when no entry is known."""
    names = [e.name for e in entries]
    if len(names) == 1:
        text = f"This needs {names[0]}, which is not installed yet."
    elif names:
        text = f"This needs {len(names)} models that are not installed yet: {', '.join(names)}."
    else:
        text = message
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Model needed",
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setObjectName("missingModelBox")
    listing = "; ".join(
        f"{e.name} ({format_size(e.size_bytes)}, licence: {e.licence})" for e in entries
    )
    box.setInformativeText(
        f"Download now? {listing}.\n\nThe download runs in the background (see Jobs); "
        "run this again once it has finished."
    )
    return box
