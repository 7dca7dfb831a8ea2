"""The main window's status bar: device, memory and queue figures, and the running job's
title and progress in a compact bar."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from studio.core.device import DeviceInfo
from studio.core.errors import format_size
from studio.services.inference import InferenceService
from studio.services.jobs import Job
from studio.ui.widgets.theme import set_tone


class StatusArea(QObject):
    """Permanent widgets on ``bar``: the running job (title and progress), the device, the
    warm models' memory and the queue; refreshed from the services' signals and every second."""

    def __init__(self, bar: QStatusBar, gpu: InferenceService, downloads: InferenceService):
        super().__init__(bar)
        self.bar, self.services = bar, (gpu, downloads)
        self.device_info: DeviceInfo | None = None
        self.job_title = QLabel()
        self.job_title.setObjectName("statusJobTitle")
        self.job_progress = QProgressBar()
        self.job_progress.setObjectName("statusJobProgress")
        self.job_progress.setMaximumWidth(140)
        self.job_progress.setMaximumHeight(16)
        self.job_progress.setTextVisible(True)
        self.device_label = QLabel("Device: starting…")
        self.vram_label = QLabel()
        self.vram_label.setToolTip(
            "Memory held by the models kept loaded between jobs, measured after each load"
            " (weights and cached features), against the budget set in Settings."
        )
        self.queue_label = QLabel()
        for widget in (
            self.job_title,
            self.job_progress,
            self.device_label,
            self.vram_label,
            self.queue_label,
        ):
            bar.addPermanentWidget(widget)
        self.timer = QTimer(self, interval=1000, timeout=self.refresh)
        self.timer.start()
        for service in self.services:  # bound methods: dropped with this object
            service.job_queued.connect(self._on_job)
            service.job_started.connect(self._on_job)
            service.job_progress.connect(self._on_progress)
            service.job_finished.connect(self._on_outcome)
            service.job_failed.connect(self._on_failed)
            service.job_cancelled.connect(self._on_job)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the memory figures, the queue and the running job."""
        gpu, downloads = self.services
        used, budget = gpu.vram_status()  # sizes the cache measured after each load
        limit = format_size(budget) if budget else "no limit"
        text = f"Warm models (measured): {format_size(used)} / {limit}"
        if self.device_info is not None and self.device_info.is_cuda:
            reserved = gpu.memory_reserved()  # sampled on the device thread
            text = f"VRAM used: {format_size(reserved)} · " + text
        self.vram_label.setText(text)
        waiting = gpu.queue_depth() + downloads.queue_depth()
        running = len(gpu.running_jobs()) + len(downloads.running_jobs())
        self.queue_label.setText(f"Jobs: {running} running, {waiting} queued")
        self._show_job(self.current_job())

    def current_job(self) -> Job | None:
        """The job the status bar follows: the device's running job, else a download's."""
        for service in self.services:
            running = service.running_jobs()
            if running:
                return running[0]
        return None

    def _show_job(self, job: Job | None) -> None:
        visible = job is not None
        self.job_title.setVisible(visible)
        self.job_progress.setVisible(visible)
        if job is None:
            return
        self.job_title.setText(job.title)
        update = job.last_progress
        if update is None:
            self.job_progress.setRange(0, 0)  # busy: started, nothing reported yet
            return
        if update.total <= 0:  # an endless job (a Live stream): a count, no end
            self.job_progress.setRange(0, 0)
            self.job_progress.setToolTip(f"{update.stage}: {update.done} done")
            return
        self.job_progress.setRange(0, 100)
        self.job_progress.setValue(round(update.fraction * 100))
        self.job_progress.setFormat(f"{update.fraction:.0%}")
        self.job_progress.setToolTip(f"{job.title}: {update.stage} {update.done}/{update.total}")

    def show_device(self, info: DeviceInfo) -> None:
        """The device the GPU thread picked, with its warning (if any) in the error tone."""
        self.device_info = info
        text = f"Device: {info.name}"
        if info.total_bytes:
            text += f" ({format_size(info.total_bytes)})"
        self.device_label.setText(text)
        if info.warning:
            set_tone(self.device_label, "error")  # readable in both themes
            self.device_label.setToolTip(info.warning)
            self.bar.showMessage(info.warning, 15000)
        self.refresh()

    def _on_job(self, _job: Job) -> None:
        self.refresh()

    def _on_progress(self, job: Job, _update: object) -> None:
        if job is self.current_job():
            self._show_job(job)

    def _on_outcome(self, _job: Job, _result: object) -> None:
        self.refresh()

    def _on_failed(self, _job: Job, _message: str, _detail: str) -> None:
        self.refresh()
