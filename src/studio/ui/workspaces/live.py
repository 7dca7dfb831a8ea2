"""The Live workspace: a real-time img2img / txt2img stream beside its source.

The stream is one ``live.stream`` job at BATCH priority: it renders frame after frame on the
service's device thread and, between frames, gives way to any other queued job. Prompt,
strength and seed edits go into the job's :class:`LiveControls` and apply to the next frame.
Frames come from a :class:`FrameSource` (``latest()`` is called on the device thread), so
tests drive the workspace with a fake source.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.pipelines.live.jobs import LiveStreamRequest
from studio.pipelines.live.session import LiveControls
from studio.services.jobs import Priority

SIZES = (256, 384, 512, 640, 768)


class FrameSource:
    """Holds the newest input frame (an RGB uint8 array); thread-safe."""

    def __init__(self, frame: Any = None) -> None:
        self._lock = threading.Lock()
        self._frame = frame

    def push(self, frame: Any) -> None:
        with self._lock:
            self._frame = frame

    def latest(self) -> Any:
        with self._lock:
            return self._frame


def to_qimage(rgb: Any) -> QImage:
    import numpy as np

    array = np.ascontiguousarray(np.asarray(rgb.convert("RGB") if hasattr(rgb, "convert") else rgb))
    h, w = array.shape[:2]
    return QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class LiveWorkspace(QWidget):
    """Source, prompt and controls on the left; the generated stream on the right."""

    send_to_canvas = Signal(object)  # a PIL image of the frozen frame

    def __init__(self, service: Any, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.store = service, store
        self.source: FrameSource | None = None
        self.controls = LiveControls()
        self.job_id: str | None = None
        self.last_image: Any = None
        self.frozen: Any = None
        self._times: list[float] = []

        self.prompt = QLineEdit(placeholderText="Describe the picture, e.g. 'a watercolour fox'")
        self.strength = QSlider(Qt.Orientation.Horizontal, minimum=5, maximum=100, value=50)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.size = QComboBox()
        for side in SIZES:
            self.size.addItem(f"{side} x {side}", side)
        self.size.setCurrentIndex(SIZES.index(512))
        self.source_kind = QComboBox()
        self.source_kind.addItem("None (text to image)", "none")
        self.source_kind.addItem("Image file...", "file")
        self.start_button = QPushButton("Start")
        self.freeze_button = QPushButton("Freeze frame", enabled=False)
        self.save_button = QPushButton("Save...", enabled=False)
        self.canvas_button = QPushButton("Send to Canvas", enabled=False)
        self.status = QLabel("Stopped")
        self.error = QLabel(wordWrap=True, styleSheet="color: #c0392b")
        self.source_view = QLabel("No source", alignment=Qt.AlignmentFlag.AlignCenter)
        self.output_view = QLabel("Press Start", alignment=Qt.AlignmentFlag.AlignCenter)
        for view in (self.source_view, self.output_view):
            view.setMinimumSize(256, 256)

        form = QFormLayout()
        form.addRow("Source", self.source_kind)
        form.addRow("Prompt", self.prompt)
        form.addRow("Strength", self.strength)
        form.addRow("Seed", self.seed)
        form.addRow("Size", self.size)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.freeze_button, self.save_button, self.canvas_button):
            buttons.addWidget(b)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addLayout(buttons)
        side.addWidget(self.status)
        side.addWidget(self.error)
        side.addWidget(self.source_view, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(side, 1)
        layout.addWidget(self.output_view, 2)

        self.prompt.textChanged.connect(lambda text: self._update(prompt=text))
        self.strength.valueChanged.connect(lambda v: self._update(strength=v / 100))
        self.seed.valueChanged.connect(lambda v: self._update(seed=int(v)))
        self.size.currentIndexChanged.connect(self._size_changed)
        self.source_kind.activated.connect(self._source_chosen)
        self.start_button.clicked.connect(self.toggle)
        self.freeze_button.clicked.connect(self.freeze)
        self.save_button.clicked.connect(self._save)
        self.canvas_button.clicked.connect(lambda: self.send_to_canvas.emit(self._frozen_pil()))
        service.job_progress.connect(self._on_progress)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_ended)
        service.job_finished.connect(lambda job, _result: self._on_ended(job))

    # -- controls --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job_id is not None

    def _update(self, **changes: Any) -> None:
        self.controls.update(**changes)

    def _size_changed(self) -> None:
        side = int(self.size.currentData())
        self._update(width=side, height=side)

    def set_source(self, source: FrameSource | None) -> None:
        """Use ``source`` for img2img (``None``: txt2img); applies from the next frame."""
        self.source = source
        frame = source.latest() if source is not None else None
        if frame is None:
            self.source_view.setText("No source")
        else:
            self.source_view.setPixmap(
                QPixmap.fromImage(to_qimage(frame)).scaled(
                    256, 256, Qt.AspectRatioMode.KeepAspectRatio
                )
            )
        if self.running:  # the stream's source is fixed per job: restart on the new one
            self.stop()
            self.start()

    def _source_chosen(self) -> None:
        if self.source_kind.currentData() == "none":
            self.set_source(None)
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Source image", "", "Images (*.png *.jpg *.jpeg *.webp)"
        )
        if path:
            from studio.pipelines.live.frames import to_rgb_array

            try:
                self.set_source(FrameSource(to_rgb_array(path)))
            except Exception as exc:  # noqa: BLE001 - show it, keep running
                self.error.setText(getattr(exc, "user_message", str(exc)))

    # -- stream ----------------------------------------------------------------------------
    def toggle(self) -> None:
        self.stop() if self.running else self.start()

    def start(self) -> None:
        if self.running:
            return
        self.error.clear()
        self.controls.update(
            prompt=self.prompt.text(),
            strength=self.strength.value() / 100,
            seed=self.seed.value(),
            width=int(self.size.currentData()),
            height=int(self.size.currentData()),
        )
        request = LiveStreamRequest(
            controls=self.controls,
            source=self.source.latest if self.source is not None else None,
        )
        job = self.service.submit("live.stream", request, priority=Priority.BATCH, label="Live")
        self.job_id = job.id
        self._times.clear()
        self.start_button.setText("Stop")
        self.status.setText("Starting...")

    def stop(self) -> None:
        """Cancel the stream (it ends at its next frame); safe when not running."""
        if self.job_id is not None:
            self.service.cancel(self.job_id)
        self._stopped()

    def _stopped(self) -> None:
        self.job_id = None
        self.start_button.setText("Start")
        self.status.setText("Stopped")

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - leaving the workspace stops it
        self.stop()
        super().hideEvent(event)

    # -- service signals -------------------------------------------------------------------
    def _on_progress(self, job: Any, update: Any) -> None:
        if job.id != self.job_id or update.preview is None:
            return
        now = time.perf_counter()
        self._times = [t for t in self._times if now - t < 2.0] + [now]
        fps = (len(self._times) - 1) / (now - self._times[0]) if len(self._times) > 1 else 0.0
        self.last_image = update.preview
        self.output_view.setPixmap(QPixmap.fromImage(to_qimage(update.preview)))
        self.status.setText(f"Frame {update.done}: {fps:.1f} fps")
        self.freeze_button.setEnabled(True)

    def _on_failed(self, job: Any, message: str, detail: str) -> None:
        if job.id == self.job_id:
            self.error.setText(message)
            self._stopped()

    def _on_ended(self, job: Any) -> None:
        if job.id == self.job_id:
            self._stopped()

    # -- freeze / save ---------------------------------------------------------------------
    def freeze(self) -> None:
        """Keep the current output frame for saving or sending to the Canvas."""
        if self.last_image is None:
            return
        self.frozen = self.last_image.copy()
        self.save_button.setEnabled(True)
        self.canvas_button.setEnabled(True)

    def _frozen_pil(self) -> Any:
        return self.frozen

    def save_frozen(self, path: str) -> None:
        if self.frozen is not None:
            self.frozen.save(path)

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save frame", "live.png", "PNG (*.png)")
        if path:
            try:
                self.save_frozen(path)
            except (OSError, ValueError) as exc:
                self.error.setText(f"Could not save {path}: {exc}")
