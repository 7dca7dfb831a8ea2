"""Settings: device, VRAM budget, model folder."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from studio.core.settings import Settings


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``result_settings()`` returns it after OK."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = replace(settings)
        self.device = QComboBox()
        self.device.addItem("Automatic (GPU if present)", "auto")
        self.device.addItem("GPU (CUDA)", "cuda")
        self.device.addItem("CPU (slow)", "cpu")
        if self.device.findData(settings.device) < 0:  # e.g. "cuda:1" set by hand: keep it
            self.device.addItem(f"GPU {settings.device}", settings.device)
        self.device.setCurrentIndex(self.device.findData(settings.device))
        self.vram = QDoubleSpinBox()
        self.vram.setRange(0, 256)
        self.vram.setDecimals(1)
        self.vram.setSuffix(" GB")
        self.vram.setSpecialValueText("80% of the card")
        self.vram.setValue(settings.vram_budget_gb)
        self.models_dir = QLineEdit(settings.models_dir)
        self.models_dir.setPlaceholderText(str(Settings().resolved_models_dir()))
        self.models_dir.setMinimumWidth(320)  # room for a real path
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.models_dir)
        row.addWidget(browse)
        form = QFormLayout(self)
        # Alt+letter mnemonics: each label's buddy is the field beside it (QFormLayout).
        form.addRow("&Device", self.device)
        form.addRow("&VRAM budget for warm models", self.vram)
        folder_label = QLabel("&Model folder")
        folder_label.setBuddy(self.models_dir)  # a row holding a layout gets no buddy itself
        form.addRow(folder_label, row)
        form.addRow(QLabel("Device and model folder changes apply after a restart."))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&OK")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder", self.models_dir.text())
        if folder:
            self.models_dir.setText(folder)

    def result_settings(self) -> Settings:
        return replace(
            self._settings,
            device=self.device.currentData(),
            vram_budget_gb=float(self.vram.value()),
            models_dir=self.models_dir.text().strip(),
        )
