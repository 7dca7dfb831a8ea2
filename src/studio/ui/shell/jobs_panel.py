"""The jobs panel: every job of this session with state, progress, ETA, cancel and stats."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import format_size
from studio.core.progress import ProgressUpdate
from studio.services.inference import InferenceService
from studio.services.jobs import Job, JobState

COLUMNS = ["Job", "State", "Progress", "Time / VRAM", ""]


class JobsPanel(QWidget):
    """Binds to one or more services; one row per job, newest at the top."""

    def __init__(self, services: list[InferenceService], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("jobsTree")
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 3, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(2, 160)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self._rows: dict[str, QTreeWidgetItem] = {}
        self._bars: dict[str, QProgressBar] = {}
        self._buttons: dict[str, QPushButton] = {}
        self._services: dict[str, InferenceService] = {}
        for service in services:
            self.bind(service)

    def bind(self, service: InferenceService) -> None:
        service.job_queued.connect(lambda job, s=service: self._add(job, s))
        # The job object is updated by the device thread ahead of its queued signals, so the
        # row takes its state from the signal that arrived, not from job.state.
        service.job_started.connect(lambda job: self._refresh(job, JobState.RUNNING))
        service.job_progress.connect(self._on_progress)
        service.job_finished.connect(lambda job, _r: self._refresh(job, JobState.FINISHED))
        service.job_failed.connect(lambda job, _m, _d: self._refresh(job, JobState.FAILED))
        service.job_cancelled.connect(lambda job: self._refresh(job, JobState.CANCELLED))

    def row_count(self) -> int:
        return self.tree.topLevelItemCount()

    def row_text(self, job_id: str, column: int) -> str:
        return self._rows[job_id].text(column)

    def cancel_button(self, job_id: str) -> QPushButton:
        return self._buttons[job_id]

    def progress_bar(self, job_id: str) -> QProgressBar:
        return self._bars[job_id]

    def _add(self, job: Job, service: InferenceService) -> None:
        item = QTreeWidgetItem([job.title, JobState.QUEUED.value, "", "", ""])
        self.tree.insertTopLevelItem(0, item)
        bar = QProgressBar()
        bar.setRange(0, 100)
        bar.setValue(0)
        bar.setFormat("waiting")
        button = QPushButton("Cancel")
        button.setObjectName(f"cancel-{job.id}")
        button.clicked.connect(lambda: service.cancel(job.id))
        self.tree.setItemWidget(item, 2, bar)
        self.tree.setItemWidget(item, 4, button)
        self._rows[job.id], self._bars[job.id], self._buttons[job.id] = item, bar, button
        self._services[job.id] = service

    def _on_progress(self, job: Job, update: ProgressUpdate) -> None:
        bar = self._bars.get(job.id)
        if bar is None:
            return
        bar.setValue(int(update.fraction * 100))
        eta = f", {update.eta_s:.0f}s left" if update.eta_s is not None else ""
        bar.setFormat(f"{update.stage} {update.done}/{update.total}{eta}")

    def _refresh(self, job: Job, state: JobState) -> None:
        item = self._rows.get(job.id)
        if item is None:
            return
        item.setText(1, state.value)
        if state.done:
            bar = self._bars[job.id]
            if state is JobState.FINISHED:
                bar.setValue(100)
            bar.setFormat(state.value)
            self._buttons[job.id].setEnabled(False)
            stats = f"{job.duration_s or 0:.1f}s"
            if job.peak_vram_bytes:
                stats += f" / {format_size(job.peak_vram_bytes)}"
            item.setText(3, stats)
            stages = "\n".join(f"{k}: {v:.2f}s" for k, v in job.stage_seconds.items())
            tip = f"{job.title}\n{stages}" + (f"\nError: {job.error}" if job.error else "")
            for col in range(len(COLUMNS)):
                item.setToolTip(col, tip)
            item.setData(0, Qt.ItemDataRole.UserRole, job.id)
