"""The Models dialog: every catalogue model, installed or not, with download and delete."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import format_size
from studio.models.download import DownloadRequest
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.services.jobs import Job, Priority

COLUMNS = ["Model", "Task", "Size", "Licence", "Status"]


class ModelsDialog(QDialog):
    def __init__(
        self, store: ModelStore, downloads: InferenceService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 480)
        self.store, self.downloads = store, downloads
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("modelsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.download_button = QPushButton("Download")
        self.delete_button = QPushButton("Delete")
        self.download_button.clicked.connect(self.download_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        note = QLabel(
            f"Models are stored in {store.root}. Rows marked non-commercial may not be used "
            "for commercial work."
        )
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(close)
        self._pending: dict[str, str] = {}  # job id -> model id
        downloads.job_progress.connect(self._on_progress)
        downloads.job_finished.connect(lambda job, _r: self._on_done(job))
        downloads.job_failed.connect(lambda job, _m, _d: self._on_done(job))
        downloads.job_cancelled.connect(self._on_done)
        self.refresh()

    def refresh(self) -> None:
        entries = list(self.store.catalogue)
        self.table.setRowCount(len(entries))
        busy = set(self._pending.values())
        for row, e in enumerate(entries):
            licence = e.licence + ("" if e.commercial_use else "  (non-commercial)")
            status = (
                "downloading…"
                if e.id in busy
                else "installed"
                if self.store.is_installed(e.id)
                else "not installed"
            )
            for col, text in enumerate(
                [e.name, e.task, format_size(e.size_bytes), licence, status]
            ):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, e.id)
                if col == 3 and not e.commercial_use:
                    item.setForeground(QColor("#c0392b"))
                self.table.setItem(row, col, item)

    def select(self, model_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == model_id:
                self.table.selectRow(row)
                return

    def selected_ids(self) -> list[str]:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in sorted(rows)]

    def download_selected(self) -> list[Job]:
        jobs = []
        for model_id in self.selected_ids():
            active = {
                getattr(j.request, "model_id", None)
                for j in self.downloads.jobs.values()
                if not j.state.done
            }
            if self.store.is_installed(model_id) or model_id in active:
                continue
            entry = self.store.catalogue.get(model_id)
            job = self.downloads.submit(
                "models.download",
                DownloadRequest(model_id),
                Priority.NORMAL,
                f"Download {entry.name} ({format_size(entry.size_bytes)})",
            )
            self._pending[job.id] = model_id
            jobs.append(job)
        self.refresh()
        return jobs

    def delete_selected(self, confirm: bool = True) -> None:
        ids = [i for i in self.selected_ids() if self.store.is_installed(i)]
        if not ids:
            return
        if confirm:
            answer = QMessageBox.question(self, "Delete models", f"Delete {', '.join(ids)}?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        for model_id in ids:
            self.store.delete(model_id)
        self.refresh()

    def _on_progress(self, job: Job, update) -> None:  # type: ignore[no-untyped-def]
        model_id = self._pending.get(job.id)
        if model_id is None:
            return
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 4)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == model_id:
                item.setText(f"downloading {update.fraction:.0%}")

    def _on_done(self, job: Job) -> None:
        if self._pending.pop(job.id, None) is not None:
            self.refresh()
