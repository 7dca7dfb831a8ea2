"""Fill's model choosers (in the panel's "More" fold): the model it paints with (the
catalogue's SDXL inpainting, or an SDXL checkpoint you imported) and a LoRA you imported with
its weight. Your models are marked "provided by you"; the lists are read from the store's
catalogue each time they open, so a model imported in the Models dialog shows at once.
Expand, which fills through Fill, uses the same choice.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QWidget

DEFAULT_MODEL = "sdxl-inpaint"
MINE = "provided by you"


class _FreshCombo(QComboBox):
    """A combo box that asks for its items again whenever its list opens."""

    def __init__(self, fill: Any) -> None:
        super().__init__()
        self._fill = fill

    def showPopup(self) -> None:  # noqa: N802 - Qt's name
        self._fill()
        super().showPopup()


class FillModels(QWidget):
    """Model, LoRA and LoRA weight for Fill and Expand; :meth:`fields` gives the request's
    ``model``, ``lora`` and ``lora_weight``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fillModels")
        self.store: Any = None
        self.model = _FreshCombo(self.refill)
        self.model.setObjectName("fillModel")
        self.lora = _FreshCombo(self.refill)
        self.lora.setObjectName("fillLora")
        self.weight = QDoubleSpinBox(minimum=-4.0, maximum=4.0, singleStep=0.1, value=1.0)
        self.weight.setObjectName("fillLoraWeight")
        self.weight.setToolTip(
            "The LoRA's weight: how strongly it acts (1: as made, 0: not at all)"
        )
        self.weight.setMinimumWidth(64)
        # One row (the panel must fit 768 px high with "More" open); the tool tips name them.
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.model, 1)
        row.addWidget(self.lora, 1)
        row.addWidget(self.weight)
        for combo in (self.model, self.lora):
            combo.setMinimumContentsLength(6)  # long model names must not widen the panel
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
        self.lora.currentIndexChanged.connect(lambda _i: self._lora_changed())
        self.model.currentIndexChanged.connect(lambda _i: self._name_choices())
        self.refill()

    def set_store(self, store: Any) -> None:
        self.store = store
        self.refill()

    def _entries(self, task: str) -> list[Any]:
        catalogue = getattr(self.store, "catalogue", None)
        return [] if catalogue is None else catalogue.for_task(task)

    def refill(self) -> None:
        """The lists again from the catalogue, keeping the current choices where they still
        exist (a removed model falls back to SDXL inpainting / no LoRA)."""
        from studio.models.imports import LICENCE

        models = [(DEFAULT_MODEL, "SDXL inpaint")]
        models += [(e.id, f"{e.name} ({MINE})") for e in self._entries("checkpoint")]
        loras = [("", "No LoRA")] + [
            (e.id, f"{e.name} ({MINE})") for e in self._entries("lora") if e.licence == LICENCE
        ]
        _fill_combo(self.model, models, self.model.currentData() or DEFAULT_MODEL)
        _fill_combo(self.lora, loras, self.lora.currentData() or "")
        self._lora_changed()

    def _lora_changed(self) -> None:
        self.weight.setEnabled(bool(self.lora.currentData()))
        self._name_choices()

    def _name_choices(self) -> None:
        """The tool tips name the whole choice: a narrow panel cuts long names."""
        self.model.setToolTip(
            f"Model: {self.model.currentText()}. Fill and Expand paint with it; your own "
            "models are marked 'provided by you'"
        )
        self.lora.setToolTip(
            f"LoRA: {self.lora.currentText()}. One you imported (Models dialog), added to the model"
        )

    def fields(self) -> dict[str, Any]:
        """``model``, ``lora`` (None for none) and ``lora_weight`` for a fill or expand."""
        lora = self.lora.currentData() or None
        return {
            "model": self.model.currentData() or DEFAULT_MODEL,
            "lora": lora,
            "lora_weight": float(self.weight.value()),
        }

    def choose(self, model: Any, lora: Any, weight: Any) -> list[str]:
        """Select ``model`` / ``lora`` / ``weight`` (from earlier settings); the ids that are
        not available (not installed or not imported here), which keep the current choice."""
        self.refill()
        missing = []
        if isinstance(model, str) and model:
            index = self.model.findData(model)
            if index >= 0:
                self.model.setCurrentIndex(index)
            else:
                missing.append(model)
        if lora is None or lora == "":
            self.lora.setCurrentIndex(0)
        elif isinstance(lora, str):
            index = self.lora.findData(lora)
            if index >= 0:
                self.lora.setCurrentIndex(index)
            else:
                missing.append(lora)
        if isinstance(weight, (int, float)) and not isinstance(weight, bool):
            self.weight.setValue(float(weight))
        return missing


def _fill_combo(combo: QComboBox, items: list[tuple[str, str]], keep: str) -> None:
    if [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())] == items:
        return
    combo.blockSignals(True)
    combo.clear()
    for value, text in items:
        combo.addItem(text, value)
    index = combo.findData(keep)
    combo.setCurrentIndex(max(0, index))
    combo.blockSignals(False)


def fill_request(doc: Any, panel: Any) -> Any:
    """The :class:`FillRequest` the panel's settings describe for the document's selection."""
    from studio.pipelines.canvas.fill import FillRequest

    p = panel
    return FillRequest(
        image=doc.rgb(),
        mask=doc.mask,
        prompt=p.prompt.text(),
        negative_prompt=p.negative.text(),
        steps=p.steps.value(),
        strength=p.strength.value(),
        guidance=p.guidance.value(),
        seed=None if p.seed.value() < 0 else p.seed.value(),
        variations=p.variations.value(),
        fast=p.fast.isChecked(),
        work_side=p.work_side.value(),
        **p.fill_models.fields(),
    )
