"""The Style step's pose and face-fix choices.

*Pose*: the selfie's own head pose (the default, as before), one of the preset poses, or the
head pose of a reference photo, all drawn for the OpenPose ControlNet beside InstantID. The
presets are named here because importing the pipeline's ``pose`` module loads numpy, which the
window does not load before a job runs; a test keeps the two lists equal.

*Repaint faces*: the local face fix (a few LCM inpainting steps on each refined face, before
face detail), which needs Canvas fill's SDXL inpainting model and LCM-LoRA.

Both are disabled, with a hint saying how to get the model, while their models are missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QWidget

from studio.ui.widgets.theme import set_tone

POSE_MODEL = "controlnet-openpose-sdxl"  # pipelines.headshots.pose.MODEL_ID
POSE_PRESETS = {  # pipelines.headshots.pose.POSE_PRESETS
    "straight": "Straight on",
    "three-quarter-left": "Three-quarter, facing left",
    "three-quarter-right": "Three-quarter, facing right",
    "head-tilt": "Head tilted",
    "shoulders-turned": "Shoulders turned, face to camera",
}
FACE_FIX_MODELS = ("sdxl-inpaint", "lcm-lora-sdxl")  # fill's SDXL_INPAINT_ID, LCM_LORA_ID
SELFIE_POSE = "The selfie's own"
FROM_PHOTO = "From a photo…"
PHOTO_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"


def _missing(store: Any, model_ids: tuple[str, ...]) -> list[str]:
    if store is None:
        return list(model_ids)
    return [m for m in model_ids if not store.is_installed(m)]


def _names(store: Any, model_ids: list[str]) -> str:
    names = []
    for model_id in model_ids:
        known = store is not None and model_id in store.catalogue
        names.append(store.catalogue.get(model_id).name if known else model_id)
    return " and ".join(names)


class PosePicker(QWidget):
    """A pose list (the selfie's own, the presets, a photo) and a "Repaint faces" switch."""

    def __init__(self, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.box = QComboBox()
        self.box.setAccessibleName("Pose")
        self.box.addItem(SELFIE_POSE, "")
        for key, label in POSE_PRESETS.items():
            self.box.addItem(label, key)
        self.box.addItem(FROM_PHOTO, "photo")
        self.box.setToolTip("Pose every portrait with the OpenPose ControlNet beside InstantID")
        self.photo: Path | None = None
        self._last = 0  # the row to go back to when the photo dialog is cancelled
        self.box.activated.connect(lambda row: self._picked(row))
        self.face_fix = QCheckBox("&Quick face repaint")
        self.face_fix.setToolTip(
            "Repaint each refined face with a few fast inpainting steps before face detail"
        )
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        set_tone(self.hint, "muted")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.box)
        row.addSpacing(12)
        row.addWidget(self.face_fix)
        row.addWidget(self.hint, 1)
        self.refresh()

    def pose(self) -> Any:
        """The pack's ``pose``: "" (the selfie's own), a preset key, or the photo's Path."""
        key = self.box.currentData()
        return self.photo if key == "photo" else key

    def set_pose(self, key: str) -> bool:
        """Choose a preset (or "" for the selfie's own); False for an unknown key."""
        row = self.box.findData(key)
        if row < 0 or key == "photo":
            return False
        self.box.setCurrentIndex(row)
        self._last = row
        return True

    def face_fix_method(self) -> str:
        """The pack's ``face_fix``: "inpaint" when ticked, else ""."""
        return "inpaint" if self.face_fix.isChecked() and self.face_fix.isEnabled() else ""

    def refresh(self) -> None:
        """Enable what the installed models allow; the hint names what to download. Called
        when the step is shown, so a model downloaded meanwhile is picked up."""
        pose_missing = _missing(self.store, (POSE_MODEL,))
        fix_missing = _missing(self.store, FACE_FIX_MODELS)
        self.box.setEnabled(not pose_missing)
        if pose_missing and self.box.currentIndex() != 0:
            self.box.setCurrentIndex(0)
            self._last = 0
        self.face_fix.setEnabled(not fix_missing)
        if fix_missing:
            self.face_fix.setChecked(False)
        parts = []
        if pose_missing:
            parts.append(f"poses need {_names(self.store, pose_missing)}")
        if fix_missing:
            parts.append(f"repainting faces needs {_names(self.store, fix_missing)}")
        text = ""
        if parts:
            text = "; ".join(parts) + ": download in Tools > Models."
            text = text[0].upper() + text[1:]
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def _picked(self, row: int) -> None:
        if self.box.itemData(row) != "photo":
            self._last = row
            return
        name, _ = QFileDialog.getOpenFileName(self, "Pose from a photo", "", PHOTO_FILTER)
        if not name:  # cancelled: the pose stays what it was
            self.box.setCurrentIndex(self._last)
            return
        self.photo = Path(name)
        self.box.setItemText(row, f"Like {self.photo.name}")
        self.box.setToolTip(f"The head pose of {self.photo}")
        self._last = row
