"""Settings: device, VRAM budget, model folder, theme, and where jobs run (Compute)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from studio.core.settings import Settings
from studio.ui.dialogs.folder_row import FolderRow
from studio.ui.shell.theme_choice import DEFAULT_THEME, THEME_CHOICES
from studio.ui.widgets.worker import IoWorkers

# The names are studio.pipelines.memory_plan.PLANS (not imported: it is a pipeline module).
PLAN_CHOICES = (
    ("Automatic (from the card's memory)", "auto"),
    ("Everything on the GPU (fastest)", "resident"),
    ("Text encoders on the GPU only while used", "encoders_on_demand"),
    ("Models on the GPU only while used", "model_offload"),
    ("Stream every layer (slowest, least memory)", "sequential_offload"),
)


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``result_settings()`` returns it after OK. With
    ``theme`` (the current one) it offers the theme too: ``theme_choice()``."""

    def __init__(
        self, settings: Settings, parent: QWidget | None = None, theme: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(680)  # a usual model folder path shows whole (541 px cut it)
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
        self.memory_plan = QComboBox()
        for label, name in PLAN_CHOICES:
            self.memory_plan.addItem(label, name)
        self.memory_plan.setCurrentIndex(max(0, self.memory_plan.findData(settings.memory_plan)))
        self.models_dir = FolderRow(
            settings.models_dir, str(Settings().resolved_models_dir()), "Model folder"
        )
        self.models_dir.setObjectName("modelsDir")
        self.theme = QComboBox()
        for name, label in THEME_CHOICES:
            self.theme.addItem(label.replace("&", ""), name)
        self.theme.setCurrentIndex(max(0, self.theme.findData(theme or DEFAULT_THEME)))
        self.theme.setVisible(theme is not None)
        form = QFormLayout(self)
        # Alt+letter mnemonics: each label's buddy is the field beside it (QFormLayout).
        form.addRow("&Device", self.device)
        form.addRow("&VRAM budget for warm models", self.vram)
        form.addRow("Memory &plan", self.memory_plan)
        folder_label = QLabel("&Model folder")
        folder_label.setBuddy(self.models_dir.browse_button)
        form.addRow(folder_label, self.models_dir)
        if theme is not None:  # the window applies it; a dialog on its own has no theme
            form.addRow("Th&eme", self.theme)
        self._add_compute_rows(form, settings)
        form.addRow(QLabel("Device, model folder and compute changes apply after a restart."))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&OK")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Cancel")
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _add_compute_rows(self, form: QFormLayout, settings: Settings) -> None:
        """Compute: *This computer* or *Studio server* (URL, token, Test connection)."""
        self.compute_local = QRadioButton("T&his computer")
        self.compute_server = QRadioButton("Studio &server")
        self._compute = QButtonGroup(self)
        for button in (self.compute_local, self.compute_server):
            self._compute.addButton(button)
        choice = QHBoxLayout()
        choice.addWidget(self.compute_local)
        choice.addWidget(self.compute_server)
        choice.addStretch(1)
        form.addRow("Compute", choice)
        self.server_url = QLineEdit(settings.server_url)
        self.server_url.setPlaceholderText("http://gpu-box:8765")
        self.server_token = QLineEdit(settings.server_token)
        self.server_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.server_token.setPlaceholderText("printed by studio serve (none on 127.0.0.1)")
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(lambda: self.test_connection())
        self.connection_status = QLabel()
        self.connection_status.setObjectName("connectionStatus")
        self.connection_status.setWordWrap(True)
        url_label, token_label = QLabel("Server &URL"), QLabel("To&ken")
        url_label.setBuddy(self.server_url)
        token_label.setBuddy(self.server_token)
        form.addRow(url_label, self.server_url)
        form.addRow(token_label, self.server_token)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.connection_status, 1)
        form.addRow("", test_row)
        self._io = IoWorkers(self, max_threads=1)
        self.compute_server.toggled.connect(lambda _on: self._update_compute())
        (self.compute_server if settings.compute == "server" else self.compute_local).setChecked(
            True
        )
        self._update_compute()

    def _update_compute(self) -> None:
        on_server = self.compute_server.isChecked()
        for widget in (self.server_url, self.server_token, self.test_button):
            widget.setEnabled(on_server)

    def test_connection(self) -> None:
        """Ask the server's ``/health`` (and whether it takes the token) on an I/O thread;
        the answer lands in :attr:`connection_status`."""
        from studio.remote.cli_support import check_server

        url, token = self.server_url.text().strip(), self.server_token.text().strip()
        self.test_button.setEnabled(False)
        self.connection_status.setText("Connecting…")
        self._io.run(lambda: check_server(url, token), self._connected, self._not_connected)

    def _connected(self, health: Any) -> None:
        self.test_button.setEnabled(self.compute_server.isChecked())
        device = health.get("device", "?")
        self.connection_status.setText(f"Connected: the server runs jobs on {device}.")

    def _not_connected(self, exc: BaseException) -> None:
        self.test_button.setEnabled(self.compute_server.isChecked())
        message = getattr(exc, "user_message", "") or str(exc)
        self.connection_status.setText(f"Not connected: {message}")

    def _accept_if_valid(self) -> None:
        if self.compute_server.isChecked():
            from studio.remote.cli_support import server_url

            try:
                server_url(self.server_url.text())
            except argparse.ArgumentTypeError as exc:
                self.connection_status.setText(f"Server URL: {exc}.")
                self.server_url.setFocus()
                return
        self.accept()

    def theme_choice(self) -> str:
        return str(self.theme.currentData())

    def result_settings(self) -> Settings:
        return replace(
            self._settings,
            device=self.device.currentData(),
            vram_budget_gb=float(self.vram.value()),
            memory_plan=self.memory_plan.currentData(),
            models_dir=self.models_dir.folder().strip(),
            compute="server" if self.compute_server.isChecked() else "local",
            server_url=self.server_url.text().strip().rstrip("/"),
            server_token=self.server_token.text().strip(),
        )
