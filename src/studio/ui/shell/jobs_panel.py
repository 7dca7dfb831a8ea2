"""The jobs panel: every job of this session in a compact row: state and readable stage,
progress with an ETA (measured from a stage's second step on), wall time and measured peak
VRAM. Running and queued rows have a small cancel button (also Delete, or the context menu);
"Clear finished" removes the rows of jobs that have ended. Row texts: ``job_rows.py``."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.progress import ProgressUpdate
from studio.services.inference import InferenceService
from studio.services.jobs import Job, JobState
from studio.ui.shell.job_rows import bar_text, stage_lines, stage_name, stats_text
from studio.ui.widgets.icons import ICON_PROPERTY, icon, set_icon

COLUMNS = ["Job", "State", "Progress", "Time · peak VRAM", ""]
JOB, STATE, PROGRESS, STATS, CANCEL = range(5)
STATE_ICONS = {
    JobState.QUEUED: "mdi6.clock-outline",
    JobState.RUNNING: "mdi6.play-circle-outline",
    JobState.FINISHED: "mdi6.check-circle-outline",
    JobState.FAILED: "mdi6.alert-circle-outline",
    JobState.CANCELLED: "mdi6.cancel",
}
ROW_HEIGHT = 20  # the bar and the cancel button fit one line of text
EMPTY_TEXT = (
    "No jobs yet. What you run in a workspace is listed here with its progress; "
    "a running job can be cancelled from its row."
)


class JobsPanel(QWidget):
    """Binds to one or more services; one row per job, newest at the top."""

    def __init__(self, services: list[InferenceService], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("jobsTree")
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(0)
        self.tree.setUniformRowHeights(True)
        self.tree.setIconSize(QSize(14, 14))
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        header = self.tree.header()
        header.setSectionResizeMode(JOB, QHeaderView.ResizeMode.Stretch)
        for col in (STATE, STATS):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(PROGRESS, 200)
        header.setSectionResizeMode(CANCEL, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(CANCEL, ROW_HEIGHT + 6)
        header.setStretchLastSection(False)  # the Job column takes the room
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        # Delete on the selected rows (eventFilter): cancels running/queued jobs, removes
        # ended ones. A key filter, not a shortcut: nothing else in the window takes it.
        self.tree.installEventFilter(self)
        # With no rows the list says what it is for (an empty header row said nothing).
        self.empty = QLabel(EMPTY_TEXT, self.tree.viewport())
        self.empty.setObjectName("jobsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setEnabled(False)  # drawn in the theme's muted text colour
        self.empty.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.tree.viewport().installEventFilter(self)
        self.clear_button = QPushButton("C&lear finished")
        self.clear_button.setObjectName("clearFinished")
        self.clear_button.setToolTip("Remove the rows of finished, failed and cancelled jobs")
        set_icon(self.clear_button, "mdi6.broom")
        self.clear_button.clicked.connect(lambda: self.clear_finished())
        side = QVBoxLayout()
        side.addWidget(self.clear_button)
        side.addStretch()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(side)
        self._rows: dict[str, QTreeWidgetItem] = {}
        self._bars: dict[str, QProgressBar] = {}
        self._buttons: dict[str, QToolButton] = {}
        self._services: dict[str, InferenceService] = {}
        self._states: dict[str, JobState] = {}
        self._icons: dict[JobState, QIcon] = {}
        for service in services:
            self.bind(service)
        self._update_clear_button()

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

    def row(self, job_id: str) -> QTreeWidgetItem:
        return self._rows[job_id]

    def cancel_button(self, job_id: str) -> QToolButton:
        """The row's cancel button (blank and disabled once the job has ended)."""
        return self._buttons[job_id]

    def progress_bar(self, job_id: str) -> QProgressBar:
        return self._bars[job_id]

    def clear_finished(self) -> int:
        """Remove the rows of jobs that have ended; returns how many were removed."""
        ended = [job_id for job_id, state in self._states.items() if state.done]
        for job_id in ended:
            self._remove(job_id)
        self._update_clear_button()
        return len(ended)

    # ---- signals -----------------------------------------------------------------------------
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

    def _on_progress(self, job: Job, update: ProgressUpdate) -> None:
        bar = self._bars.get(job.id)
        if bar is None or self._states[job.id].done:
            return
        if self._states[job.id] is JobState.QUEUED:  # progress means it runs, whatever came first
            self._refresh(job, JobState.RUNNING)
        item = self._rows[job.id]
        # The stage goes in the State column, which is as wide as its text; the bar keeps the
        # numbers and the ETA, so neither is cut off.
        stage = stage_name(update.stage)
        item.setText(STATE, f"{JobState.RUNNING.value}: {stage}")
        item.setToolTip(STATE, stage)
        bar.setValue(int(update.fraction * 100))
        bar.setFormat(bar_text(update.stage, update.done, update.total, update.eta_s))
        bar.setToolTip(bar.format())

    # ---- rows --------------------------------------------------------------------------------
    def _add(self, job: Job, service: InferenceService) -> None:
        if job.id in self._rows:
            return
        item = QTreeWidgetItem([job.title, JobState.QUEUED.value, "", "", ""])
        item.setData(JOB, Qt.ItemDataRole.UserRole, job.id)
        item.setToolTip(JOB, job.title)
        item.setIcon(STATE, self._state_icon(JobState.QUEUED))
        self.tree.insertTopLevelItem(0, item)
        bar = QProgressBar()
        bar.setRange(0, 100)
        bar.setValue(0)
        bar.setMaximumHeight(ROW_HEIGHT - 2)
        bar.setFormat("waiting for its turn")
        button = QToolButton()
        button.setObjectName(f"cancel-{job.id}")
        button.setAutoRaise(True)
        button.setFixedSize(ROW_HEIGHT, ROW_HEIGHT)
        button.setToolTip(f"Cancel {job.title} (Delete)")
        set_icon(button, "mdi6.close-circle-outline")
        button.clicked.connect(lambda: service.cancel(job.id))
        self.tree.setItemWidget(item, PROGRESS, bar)
        self.tree.setItemWidget(item, CANCEL, button)
        self._rows[job.id], self._bars[job.id], self._buttons[job.id] = item, bar, button
        self._services[job.id] = service
        self._states[job.id] = JobState.QUEUED
        self.empty.hide()

    def _refresh(self, job: Job, state: JobState) -> None:
        item = self._rows.get(job.id)
        if item is None or self._states[job.id].done:
            return  # an outcome is final: nothing that arrives later turns it back
        self._states[job.id] = state
        item.setText(STATE, state.value)
        item.setIcon(STATE, self._state_icon(state))
        if state is JobState.RUNNING:
            self._bars[job.id].setFormat("starting…")
        if state.done:
            bar = self._bars[job.id]
            if state is JobState.FINISHED:
                bar.setValue(100)
            bar.setFormat(state.value)
            # nothing to cancel: the cell is left blank (a disabled, raised-on-hover button
            # without an icon draws nothing; hiding it does not last, the view shows its
            # cell widgets again at each layout)
            button = self._buttons[job.id]
            button.setEnabled(False)
            button.setProperty(ICON_PROPERTY, "")
            button.setIcon(QIcon())
            button.setToolTip("")
            item.setText(STATS, stats_text(job.duration_s, job.peak_vram_bytes))
            measured = (
                "Peak VRAM measured on the device while it ran." if job.peak_vram_bytes else ""
            )
            tip = "\n".join(
                t for t in (job.title, stage_lines(job.stage_seconds), measured) if t
            ) + (f"\nError: {job.error}" if job.error else "")
            for col in range(len(COLUMNS)):
                item.setToolTip(col, tip)
            self._update_clear_button()

    def _state_icon(self, state: JobState) -> QIcon:
        if state not in self._icons:
            self._icons[state] = icon(STATE_ICONS[state])
        return self._icons[state]

    def _remove(self, job_id: str) -> None:
        item = self._rows.pop(job_id)
        self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        for table in (self._bars, self._buttons):
            table.pop(job_id).deleteLater()
        self._services.pop(job_id, None)
        self._states.pop(job_id, None)
        self.empty.setVisible(not self._rows)

    def _update_clear_button(self) -> None:
        self.clear_button.setEnabled(any(s.done for s in self._states.values()))

    def _selected_ids(self) -> list[str]:
        return [i.data(JOB, Qt.ItemDataRole.UserRole) for i in self.tree.selectedItems()]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if watched is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self.empty.setGeometry(self.tree.viewport().rect().adjusted(8, 0, -8, 0))
        if (
            watched is self.tree
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Delete
        ):
            self._delete_selected()
            return True
        return super().eventFilter(watched, event)

    def _delete_selected(self) -> None:
        for job_id in self._selected_ids():
            if self._states[job_id].done:
                self._remove(job_id)
            else:
                self._services[job_id].cancel(job_id)
        self._update_clear_button()

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        menu = QMenu(self)
        if item is not None:
            job_id = item.data(JOB, Qt.ItemDataRole.UserRole)
            if not self._states[job_id].done:
                cancel = menu.addAction("&Cancel job")
                cancel.triggered.connect(lambda: self._services[job_id].cancel(job_id))
        clear = menu.addAction("C&lear finished")
        clear.setEnabled(self.clear_button.isEnabled())
        clear.triggered.connect(lambda: self.clear_finished())
        self.context_menu = menu  # kept: tests and screenshots can read it
        menu.popup(self.tree.viewport().mapToGlobal(pos))
