"""Live's model list: the models of :data:`~studio.pipelines.live.models.LIVE_MODELS`, each
marked when it is not installed or not for commercial use, with a line under it that says how
to get a missing model (Tools > Models, or the command line) and a Get… button that opens the
Models dialog on it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.pipelines.live.models import LIVE_MODELS
from studio.ui.widgets.icons import set_icon

NON_COMMERCIAL = "non-commercial"


def model_label(entry: Any, installed: bool) -> str:
    """The list text: the name, then what stands in the way of using it freely."""
    marks = [] if entry.commercial_use else [NON_COMMERCIAL]
    marks += [] if installed else ["not installed"]
    return entry.name + (f" ({', '.join(marks)})" if marks else "")


def how_to_get(entry: Any) -> str:
    """Where to download a missing model: the Models dialog, or the command line."""
    return (
        f"{entry.name} is not installed: download it in Tools > Models, "
        f"or run: studio models download {entry.id}"
    )


def short_how_to_get(entry: Any) -> str:
    """The same, short enough for two lines under the model list."""
    return f"Not installed: click Get…, or run studio models download {entry.id}"


class ModelPicker(QWidget):
    """The model combo box (items carry the model id), a note and a Get… button.

    ``get_requested(model_id)``: the user asked to download the shown model."""

    get_requested = Signal(str)

    def __init__(self, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.combo = QComboBox()
        self.note = QLabel(wordWrap=True)
        # two lines, always whole (a form row does not grow a wrapped label by itself)
        self.note.setMinimumHeight(self.note.fontMetrics().lineSpacing() * 2 + 2)
        self.get_button = QPushButton("Get…")
        set_icon(self.get_button, "mdi6.download")
        self.get_button.clicked.connect(lambda: self.get_requested.emit(self.current_id()))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.get_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.note)
        self.combo.currentIndexChanged.connect(lambda _i: self._show_state())
        self.refresh()

    def current_id(self) -> str:
        return str(self.combo.currentData() or "sd-turbo")

    def refresh(self) -> None:
        """Re-read what is installed (after a download or a delete), keeping the choice."""
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        catalogue = self.store.catalogue
        for model_id in LIVE_MODELS:
            if model_id not in catalogue:
                continue
            entry = catalogue.get(model_id)
            self.combo.addItem(model_label(entry, self.installed(model_id)), model_id)
            tip = entry.licence + (f": {entry.licence_note}" if entry.licence_note else "")
            self.combo.setItemData(self.combo.count() - 1, tip, 3)  # Qt.ToolTipRole
        self.combo.setCurrentIndex(max(0, self.combo.findData(current)))
        self.combo.blockSignals(False)
        self._show_state()

    def installed(self, model_id: str) -> bool:
        """The model and what it needs with it (the LCM-LoRA) are installed."""
        lora = LIVE_MODELS[model_id].lora
        return all(self.store.is_installed(m) for m in (model_id, lora) if m)

    def missing(self) -> str | None:
        """The first model the current choice still needs (None: ready)."""
        model_id = self.current_id()
        lora = LIVE_MODELS[model_id].lora if model_id in LIVE_MODELS else None
        for needed in (model_id, lora):
            if needed and not self.store.is_installed(needed):
                return needed
        return None

    def _show_state(self) -> None:
        missing = self.missing()
        entry = self.store.catalogue.get(self.current_id())
        if missing is not None:
            text = short_how_to_get(self.store.catalogue.get(missing))
        elif not entry.commercial_use:
            text = "Non-commercial licence: what you make with it may not be used commercially."
        else:
            text = ""
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.get_button.setVisible(missing is not None)
        self.get_button.setToolTip(how_to_get(self.store.catalogue.get(missing)) if missing else "")
