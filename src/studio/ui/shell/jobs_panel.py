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
        header.setStretchLastSection(False)  # the Job column takes the room, not Cancel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self._rows: dict[str, QTreeWidgetItem] = {}
        self._bars: dict[str, QProgressBar] = {}
        self._buttons: dict[str, QPushButton] = {}
        self._services: dict[str, InferenceService] = {}
        self._states: dict[str, JobState] = {}
        for service in services:
            self.bind(service)

    def bind(self, service: InferenceService) -> None:
        """Show ``service``'s jobs: those it already has, then each new one as it is queued."""
        for job in sorted(service.jobs.values(), key=lambda j: j.seq):
            self._add(job, service)
            if job.state is not JobState.QUEUED:
                self._refresh(job, job.state)
        # Bound methods, not lambdas: Qt drops these connections when the panel is deleted,
        # while the services (which outlive it at shutdown) may still emit.
        service.job_queued.connect(self._on_queued)
        # The job object is updated by the device thread ahead of its queued signals, so the
        # row takes its state from the signal that arrived, not from job.state.
        service.job_started.connect(self._on_started)
        service.job_progress.connect(self._on_progress)
        service.job_finished.connect(self._on_finished)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_cancelled)

    def row_count(self) -> int:
        return self.tree.topLevelItemCount()

    def row_text(self, job_id: str, column: int) -> str:
        return self._rows[job_id].text(column)

    def cancel_button(self, job_id: str) -> QPushButton:
        return self._buttons[job_id]

    def progress_bar(self, job_id: str) -> QProgressBar:
        return self._bars[job_id]

    def _on_queued(self, job: Job) -> None:
        service = self.sender()
        assert isinstance(service, InferenceService)
        self._add(job, service)

    def _on_started(self, job: Job) -> None:
        self._refresh(job, JobState.RUNNING)

    def _on_finished(self, job: Job, _result: object) -> None:
        self._refresh(job, JobState.FINISHED)

    def _on_failed(self, job: Job, _message: str, _detail: str) -> None:
        self._refresh(job, JobState.FAILED)

    def _on_cancelled(self, job: Job) -> None:
        self._refresh(job, JobState.CANCELLED)

    def _add(self, job: Job, service: InferenceService) -> None:
        if job.id in self._rows:
            return
        item = QTreeWidgetItem([job.title, JobState.QUEUED.value, "", "", ""])
        item.setData(0, Qt.ItemDataRole.UserRole, job.id)
        self.tree.insertTopLevelItem(0, item)
        bar = QProgressBar()
        bar.setRange(0, 100)
        bar.setValue(0)
        bar.setFormat("waiting for its turn")
        button = QPushButton("Cancel")
        button.setObjectName(f"cancel-{job.id}")
        button.clicked.connect(lambda: service.cancel(job.id))
        self.tree.setItemWidget(item, 2, bar)
        self.tree.setItemWidget(item, 4, button)
        self._rows[job.id], self._bars[job.id], self._buttons[job.id] = item, bar, button
        self._services[job.id] = service
        self._states[job.id] = JobState.QUEUED

    def _on_progress(self, job: Job, update: ProgressUpdate) -> None:
        bar = self._bars.get(job.id)
        if bar is None or self._states[job.id].done:
            return
        if self._states[job.id] is JobState.QUEUED:  # progress means it runs, whatever came first
            self._refresh(job, JobState.RUNNING)
        item = self._rows[job.id]
        # The stage goes in the State column, which is as wide as its text; the bar keeps the
        # numbers, so neither is cut off.
        item.setText(1, f"{JobState.RUNNING.value}: {update.stage}")
        item.setToolTip(1, update.stage)
        bar.setValue(int(update.fraction * 100))
        eta = f", {update.eta_s:.0f} s left" if update.eta_s is not None else ""
        bar.setFormat(f"{update.done}/{update.total}{eta}" if update.total > 0 else "working…")

    def _refresh(self, job: Job, state: JobState) -> None:
        item = self._rows.get(job.id)
        if item is None or self._states[job.id].done:
            return  # an outcome is final: nothing that arrives later turns it back
        self._states[job.id] = state
        item.setText(1, state.value)
        if state is JobState.RUNNING:
            self._bars[job.id].setFormat("starting…")
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
