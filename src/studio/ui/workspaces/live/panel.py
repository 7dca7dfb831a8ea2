"""The Live workspace's left side: source, model, VAE, prompt, strength, seed, size, speed,
the start / freeze buttons, status and the source preview (the frozen frame's own buttons
sit under the output, in ``frozen_view.py``)."""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
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

from studio.ui.widgets.icons import set_icon
from studio.ui.widgets.image_view import ImageView
from studio.ui.widgets.theme import set_tone
from studio.ui.workspaces.live.source_picker import SourcePicker

SIZES = (256, 384, 512, 640, 768)
VAES = (("Tiny VAE (TAESD, fastest)", "taesd"), ("Model's own VAE (sharper)", None))
# On an H100: CUDA graph ~10 ms/frame from the first frame; torch.compile ~7 ms/frame after
# about a minute of compiling on first use (scripts/bench_live.py).
SPEEDS = (
    ("Quick start (CUDA graph on a GPU)", "auto"),
    ("Fastest (torch.compile, ~1 min warm-up)", "compile"),
    ("Plain (no graph capture)", "eager"),
)


class FrameReadout:
    """The status line's numbers: frame count, frames per second over the last few frames
    ("—" until two have arrived), latency, mode and skipped inputs."""

    def __init__(self, window: int = 10) -> None:
        self._times: deque[float] = deque(maxlen=window)

    def clear(self) -> None:
        self._times.clear()

    def tick(self, now: float) -> None:
        """A frame arrived at ``now`` (seconds, any monotonic clock)."""
        self._times.append(now)

    def fps(self) -> float | None:
        times = self._times
        if len(times) < 2 or times[-1] <= times[0]:
            return None
        return (len(times) - 1) / (times[-1] - times[0])

    def text(self, index: int, frame: Any = None, skipped: int = 0) -> str:
        fps = self.fps()
        parts = [f"Frame {index}", "— fps" if fps is None else f"{fps:.1f} fps"]
        if frame is not None:
            parts.append(f"{frame.latency_ms:.0f} ms/frame")
            parts.append(f"{frame.mode}, {frame.optimisation}")
        if skipped:
            parts.append(f"{skipped} skipped (unchanged input)")
        return "  ·  ".join(parts)


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: bold")
    return label


class LivePanel(QWidget):
    """The controls; the workspace binds them to the stream's :class:`LiveControls`."""

    def __init__(self, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_kind = SourcePicker()
        self.model = QComboBox()
        for entry in store.catalogue:
            if entry.task == "live":
                self.model.addItem(entry.name, entry.id)
        self.vae = QComboBox()
        for label, vae_id in VAES:
            self.vae.addItem(label, vae_id)
        self.prompt = QLineEdit(placeholderText="Describe the picture, e.g. 'a watercolour fox'")
        self.strength = QSlider(Qt.Orientation.Horizontal, minimum=5, maximum=100, value=50)
        self.strength_label = QLabel("0.50", minimumWidth=32)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.frame_size = QComboBox()
        for px in SIZES:
            self.frame_size.addItem(f"{px} x {px}", px)
        self.frame_size.setCurrentIndex(SIZES.index(512))
        self.speed = QComboBox()
        for label, mode in SPEEDS:
            self.speed.addItem(label, mode)
        self.start_button = QPushButton("Start")
        set_icon(self.start_button, "mdi6.play")
        self.freeze_button = QPushButton("Freeze frame", enabled=False)
        self.freeze_button.setToolTip("Keep the current output frame to save it or edit it (F)")
        set_icon(self.freeze_button, "mdi6.snowflake")
        self.status = QLabel("Stopped", wordWrap=True)
        self.error = QLabel(wordWrap=True)
        set_tone(self.error, "error")  # readable on the dark and the light theme
        self.source_view = ImageView("No source (text to image)")

        strength_row = QHBoxLayout()
        strength_row.addWidget(self.strength, 1)
        strength_row.addWidget(self.strength_label)
        form = QFormLayout()
        form.addRow("Source", self.source_kind)
        form.addRow("Model", self.model)
        form.addRow("VAE", self.vae)
        form.addRow("Prompt", self.prompt)
        form.addRow("Strength", strength_row)
        form.addRow("Seed", self.seed)
        form.addRow("Size", self.frame_size)
        form.addRow("Speed", self.speed)
        stream_buttons = QHBoxLayout()
        stream_buttons.addWidget(self.start_button, 3)
        stream_buttons.addWidget(self.freeze_button, 2)
        self.start_button.setMinimumHeight(32)
        self.freeze_button.setMinimumHeight(32)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addLayout(stream_buttons)
        side.addWidget(self.status)
        side.addWidget(self.error)
        side.addWidget(heading("Source"))
        side.addWidget(self.source_view, 1)
        self.setLayout(side)
        self.setMinimumWidth(400)
        self.setMaximumWidth(520)
