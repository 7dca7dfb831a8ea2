"""Live's advanced controls, folded behind "More": steps and guidance (where the model takes
them), the negative prompt, prompt travel to a second prompt, the seed lock and the
similar-frame filter. Each edit goes straight into the stream's :class:`LiveControls`, so
the next frame uses it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QWidget,
)

from studio.pipelines.live.models import LIVE_MODELS, MAX_GUIDANCE, supports_guidance
from studio.pipelines.live.session import LiveControls, LiveSettings
from studio.pipelines.prompt_filter import blocked_word

NO_GUIDANCE = "This model runs without guidance (one step); pick SD 1.5 + LCM-LoRA for it."


class MoreControls(QWidget):
    """The advanced knobs; ``refused(message)`` when a typed prompt is refused by the filter
    (the stream keeps the last accepted one)."""

    refused = Signal(str)

    def __init__(self, controls: LiveControls, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controls = controls
        defaults = LiveSettings()
        self.steps = QSpinBox(minimum=1, maximum=1, value=1)
        self._steps_choice = defaults.lcm_steps
        self.guidance = QDoubleSpinBox(minimum=0.0, maximum=MAX_GUIDANCE, singleStep=0.5)
        self.guidance.setValue(defaults.guidance)
        self.negative = QLineEdit(placeholderText="What to avoid, e.g. 'blurry, text'")
        self.prompt_b = QLineEdit(placeholderText="A second prompt to travel towards")
        self.travel = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=0)
        self.travel.setToolTip("How far the picture moves from the prompt to the second prompt")
        self.travel_label = QLabel("0.00", minimumWidth=32)
        self.seed_lock = QCheckBox("Lock seed", checked=defaults.seed_lock)
        self.seed_lock.setToolTip("Off: fresh noise every frame (livelier, less steady)")
        self.skip_similar = QCheckBox("Skip similar", checked=defaults.filter_enabled)
        self.skip_similar.setToolTip("Reuse the last output while the input barely changes")
        self.threshold = QDoubleSpinBox(minimum=0.5, maximum=1.0, singleStep=0.005, decimals=3)
        self.threshold.setValue(defaults.similarity_threshold)
        self.threshold.setToolTip("Inputs at least this similar to the last one are skipped")
        self.max_skip = QSpinBox(minimum=0, maximum=120, value=defaults.max_skip)
        self.max_skip.setToolTip("At most this many frames skipped in a row")

        row = QHBoxLayout()
        row.addWidget(self.steps)
        row.addWidget(QLabel("Guidance"))
        row.addWidget(self.guidance)
        row.addWidget(self.seed_lock)
        travel = QHBoxLayout()
        travel.addWidget(self.travel, 1)
        travel.addWidget(self.travel_label)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.skip_similar)
        filter_row.addWidget(self.threshold)
        filter_row.addWidget(QLabel("max"))
        filter_row.addWidget(self.max_skip)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Steps", row)
        form.addRow("Negative", self.negative)
        form.addRow("Prompt 2", self.prompt_b)
        form.addRow("Travel", travel)
        form.addRow("Filter", filter_row)

        self.steps.valueChanged.connect(lambda v: self._set(lcm_steps=int(v)))
        self.guidance.valueChanged.connect(lambda v: self._set(guidance=float(v)))
        self.negative.textChanged.connect(lambda text: self._set(negative_prompt=text))
        self.prompt_b.textChanged.connect(self._prompt_b_changed)
        self.travel.valueChanged.connect(self._travel_changed)
        self.seed_lock.toggled.connect(lambda on: self._set(seed_lock=bool(on)))
        self.skip_similar.toggled.connect(self._filter_toggled)
        self.threshold.valueChanged.connect(lambda v: self._set(similarity_threshold=float(v)))
        self.max_skip.valueChanged.connect(lambda v: self._set(max_skip=int(v)))
        self.set_model("sd-turbo")

    def _set(self, **changes: Any) -> None:
        self.controls.update(**changes)

    def set_model(self, model_id: str) -> None:
        """Offer what ``model_id`` takes: steps in its range, guidance and a negative prompt
        only where it uses guidance (greyed out, with the reason, elsewhere)."""
        model = LIVE_MODELS.get(model_id, LIVE_MODELS["sd-turbo"])
        low, high = model.steps
        if self.steps.maximum() > self.steps.minimum():  # a multi-step choice: kept
            self._steps_choice = self.steps.value()
        self.steps.blockSignals(True)
        self.steps.setRange(low, high)
        self.steps.setValue(min(max(self._steps_choice, low), high))
        self.steps.blockSignals(False)
        self.steps.setEnabled(high > low)
        self._set(lcm_steps=self.steps.value())
        guided = supports_guidance(model.id)
        tips = {
            self.guidance: "Above 1 the negative prompt counts (and frames take longer)",
            self.negative: "Counts when guidance is above 1",
        }
        for widget, tip in tips.items():
            widget.setEnabled(guided)
            widget.setToolTip(tip if guided else NO_GUIDANCE)
        self.steps.setToolTip("" if high > low else "This model makes each frame in one step")

    def values(self) -> dict[str, Any]:
        """The settings these controls show (for the start of a stream)."""
        prompt_b = self.prompt_b.text()
        return dict(
            lcm_steps=self.steps.value(),
            guidance=self.guidance.value(),
            negative_prompt=self.negative.text(),
            prompt_b="" if blocked_word(prompt_b) else prompt_b,
            travel=self.travel.value() / 100,
            seed_lock=self.seed_lock.isChecked(),
            filter_enabled=self.skip_similar.isChecked(),
            similarity_threshold=self.threshold.value(),
            max_skip=self.max_skip.value(),
        )

    def apply(self, settings: dict[str, Any]) -> None:
        """Show the values of an earlier frame's settings (those present)."""
        setters = {
            "lcm_steps": lambda v: self.steps.setValue(int(v)),
            "guidance": lambda v: self.guidance.setValue(float(v)),
            "negative_prompt": lambda v: self.negative.setText(str(v)),
            "prompt_b": lambda v: self.prompt_b.setText(str(v)),
            "travel": lambda v: self.travel.setValue(round(float(v) * 100)),
            "seed_lock": lambda v: self.seed_lock.setChecked(bool(v)),
            "filter_enabled": lambda v: self.skip_similar.setChecked(bool(v)),
            "similarity_threshold": lambda v: self.threshold.setValue(float(v)),
            "max_skip": lambda v: self.max_skip.setValue(int(v)),
        }
        for key, setter in setters.items():
            if settings.get(key) is not None:
                setter(settings[key])

    def _prompt_b_changed(self, text: str) -> None:
        term = blocked_word(text)
        if term is not None:
            self.refused.emit(
                f"The second prompt was refused by the content filter (it mentions '{term}'). "
                "The stream keeps the previous one until you change it."
            )
            return
        self._set(prompt_b=text)

    def _travel_changed(self, value: int) -> None:
        self.travel_label.setText(f"{value / 100:.2f}")
        self._set(travel=value / 100)

    def _filter_toggled(self, on: bool) -> None:
        self.threshold.setEnabled(on)
        self.max_skip.setEnabled(on)
        self._set(filter_enabled=bool(on))
