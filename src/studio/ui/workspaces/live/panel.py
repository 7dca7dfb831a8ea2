"""The Live workspace's left side: source, model, VAE, prompt, strength, seed, size, speed,
the advanced controls folded behind "More" (``more_controls.py``), the start / freeze
buttons, the record / microphone / virtual camera row, status and the source preview (the
frozen frame's own buttons sit under the output, in ``frozen_view.py``). Opening "More"
hides the source preview, so the panel fits a 1366 x 768 screen either way."""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.pipelines.live.session import LiveControls
from studio.ui.widgets.icons import set_icon
from studio.ui.widgets.image_view import ImageView
from studio.ui.widgets.theme import set_tone
from studio.ui.workspaces.live.model_picker import ModelPicker
from studio.ui.workspaces.live.more_controls import MoreControls
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

    def __init__(
        self, store: Any, controls: LiveControls | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.source_kind = SourcePicker()
        self.model_picker = ModelPicker(store)
        self.model = self.model_picker.combo
        self.more = MoreControls(controls or LiveControls())
        self.more.setVisible(False)
        self.more_button = QToolButton(text="More", checkable=True)
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.setToolTip(
            "Steps, guidance, negative prompt, prompt travel, seed lock, similar-frame filter"
        )
        self.more_button.setArrowType(Qt.ArrowType.RightArrow)
        self.more_button.toggled.connect(self._fold)
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
        self.record_button = QPushButton("Record")
        self.record_button.setToolTip("Record the output to an MP4 in the outputs folder (Ctrl+R)")
        set_icon(self.record_button, "mdi6.record-rec")
        self.microphone = QCheckBox("Mic")
        self.microphone.setToolTip("Record the microphone's sound with the video")
        self.camera_button = QPushButton("Virtual camera", checkable=True)
        self.camera_button.setToolTip("Send the output to a virtual camera for calls and streams")
        set_icon(self.camera_button, "mdi6.webcam")
        self.elapsed = QLabel()
        self.status = QLabel("Stopped", wordWrap=True)
        self.error = QLabel(wordWrap=True)
        set_tone(self.error, "error")  # readable on the dark and the light theme
        self.source_view = ImageView("No source (text to image)")
        self.source_view.setMinimumSize(150, 150)  # room for the record row at 1366 x 768

        strength_row = QHBoxLayout()
        strength_row.addWidget(self.strength, 1)
        strength_row.addWidget(self.strength_label)
        form = QFormLayout()
        form.addRow("Source", self.source_kind)
        form.addRow("Model", self.model_picker)
        form.addRow("VAE", self.vae)
        form.addRow("Prompt", self.prompt)
        form.addRow("Strength", strength_row)
        form.addRow("Seed", self.seed)
        form.addRow("Size", self.frame_size)
        form.addRow("Speed", self.speed)
        form.addRow(self.more_button)
        stream_buttons = QHBoxLayout()
        stream_buttons.addWidget(self.start_button, 3)
        stream_buttons.addWidget(self.freeze_button, 2)
        self.start_button.setMinimumHeight(32)
        self.freeze_button.setMinimumHeight(32)
        outputs = QHBoxLayout()
        outputs.addWidget(self.record_button)
        outputs.addWidget(self.microphone)
        outputs.addWidget(self.camera_button)
        outputs.addWidget(self.elapsed, 1)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.more)
        side.addLayout(stream_buttons)
        side.addLayout(outputs)
        side.addWidget(self.status)
        side.addWidget(self.error)
        self.source_heading = heading("Source")
        side.addWidget(self.source_heading)
        side.addWidget(self.source_view, 1)
        self.filler = QWidget()  # takes the preview's room while "More" is open
        self.filler.setVisible(False)
        side.addWidget(self.filler, 1)
        self.setLayout(side)
        self.setMinimumWidth(400)
        self.setMaximumWidth(520)

    def limit_sizes(self, low: int, high: int) -> int | None:
        """Offer only the frame sizes a model is good at (others greyed out); the new size
        when the current one had to move into the range, else None."""
        model = self.frame_size.model()
        for i, px in enumerate(SIZES):
            item = model.item(i)  # type: ignore[attr-defined]
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            allowed = low <= px <= high
            item.setFlags(item.flags() | flags if allowed else item.flags() & ~flags)
        current = int(self.frame_size.currentData())
        if low <= current <= high:
            return None
        nearest = min((px for px in SIZES if low <= px <= high), key=lambda px: abs(px - current))
        self.frame_size.setCurrentIndex(SIZES.index(nearest))
        return nearest

    def _fold(self, open_: bool) -> None:
        # Free the room first, then fill it: the other order makes the window grow for a
        # moment, and a top-level window does not shrink back by itself.
        freed, taken = (self.source_heading, self.source_view), (self.more, self.filler)
        if not open_:
            freed, taken = taken, freed
        for widget in freed:
            widget.setVisible(False)
        for widget in taken:
            widget.setVisible(True)
        self.more_button.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
