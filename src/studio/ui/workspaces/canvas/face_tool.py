"""Face detail as a Canvas tool: the panel's row (button, strength, and the restoration
model when both are installed) and the controller's side of the ``canvas.face_detail`` job.

The job restores every face it finds (:mod:`studio.pipelines.canvas.face_detail`); with a
selection only the selected pixels take the result (blended by the selection's softness),
so a face can be fixed alone. It is an action job like Fill: the canvas's busy badge with
progress and Cancel, one undoable step. No face found leaves the image as it was and says
so; a missing model is reported (and offered for download) like every other job's.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QPushButton, QWidget

# The pipeline module is imported only when used (it may grow heavier imports); its ids:
RESTOREFORMER_ID = "restoreformer"  # the default
REPAINT = "inpaint"  # the choice that repaints faces with SDXL inpainting (LCM steps)
REPAINT_MODELS = ("sdxl-inpaint", "lcm-lora-sdxl")  # what the repaint needs (Canvas fill's)
FACE_NAMES = {RESTOREFORMER_ID: "RestoreFormer", "gfpgan-v1.4": "GFPGAN", REPAINT: "Repaint"}
REPAINT_STRENGTH = 0.4  # the local fix's default: keeps the person, sharpens the detail
LICENCE_TIP = (
    "Faces are found with insightface's antelopev2 (non-commercial research only); the "
    "restoration weights were trained on FFHQ (CC BY-NC-SA). See Models for each licence."
)


class FaceDetailRow(QWidget):
    """``button`` (Face detail), ``strength`` (0-1) and ``model`` (shown only when there is
    more than one way installed: a restoration model each, and "Repaint" (a few SDXL
    inpainting steps per face, with the Fill prompt) when Canvas fill's models are there)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("faceDetailRow")
        self.store: Any = None
        self.button = QPushButton("Face detail")
        self.button.setObjectName("faceDetailButton")
        self.button.setToolTip(
            "Restore the faces (only inside the selection if there is one). " + LICENCE_TIP
        )
        self.strength = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, value=0.7)
        self.strength.setObjectName("faceDetailStrength")
        self.strength.setToolTip("How much of the restored face is used (1: all of it)")
        self.model = QComboBox()
        self.model.setObjectName("faceDetailModel")
        self.model.setToolTip("The face restoration model")
        from studio.pipelines.canvas.face_detail import FACE_MODELS

        self.models = [*FACE_MODELS, REPAINT]
        for model_id in self.models:
            self.model.addItem(FACE_NAMES.get(model_id, model_id), model_id)
        self.model.setItemData(
            len(self.models) - 1,
            "Repaint each face with a few SDXL inpainting steps (uses the Fill prompt)",
            Qt.ItemDataRole.ToolTipRole,
        )
        self.model.activated.connect(lambda _row: self._suggest_strength())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.button, 1)
        row.addWidget(self.strength)
        row.addWidget(self.model)
        self.model.setVisible(False)

    def set_store(self, store: Any) -> None:
        self.store = store
        self.refresh_models()

    def installed(self) -> list[str]:
        store = self.store
        if store is None:
            return []
        have = [m for m in self.models if m in store.catalogue and store.is_installed(m)]
        if all(m in store.catalogue and store.is_installed(m) for m in REPAINT_MODELS):
            have.append(REPAINT)
        return have

    def refresh_models(self) -> None:
        """Show the model choice only when more than one model is installed."""
        self.model.setVisible(len(self.installed()) > 1)

    def _suggest_strength(self) -> None:
        """Repainting wants less strength than restoring: move to each one's default."""
        repaint = self.model.currentData() == REPAINT
        self.strength.setValue(REPAINT_STRENGTH if repaint else 0.7)

    def chosen_model(self) -> str:
        """The chosen model; with one installed, that one; with none, the default (the job
        then names what to download)."""
        installed = self.installed()
        if len(installed) > 1:
            return str(self.model.currentData())
        return installed[0] if installed else RESTOREFORMER_ID

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.refresh_models()  # a model may have been downloaded meanwhile
        super().showEvent(event)


class FaceDetailTool:
    """Mixed into :class:`CanvasController`: uses its document, panel and ``_action``."""

    doc: Any
    panel: Any
    notify: Any

    def face_detail(self) -> Any:
        """Submit ``canvas.face_detail`` for the image; the job, or None (no image, busy)."""
        from studio.pipelines.canvas.face_detail import FaceDetailRequest

        if not self.doc.has_image:
            return None
        row = self.panel.face_row
        row.refresh_models()
        chosen = row.chosen_model()
        if chosen == REPAINT:
            request = FaceDetailRequest(
                image=self.doc.rgb(),
                strength=row.strength.value(),
                method=REPAINT,
                prompt=self.panel.prompt.text().strip(),
            )
        else:
            request = FaceDetailRequest(
                image=self.doc.rgb(), strength=row.strength.value(), model=chosen
            )
        return self._action("face_detail", "canvas.face_detail", request, "Face detail")  # type: ignore[attr-defined]

    def finish_face_detail(self, job: Any, result: Any) -> None:
        """One undoable "Face detail" step (only the selection's faces when there is one)."""
        mask = self.doc.mask
        selected = mask is not None and bool(mask.any())
        boxes = list(result.boxes)
        if selected:  # a face counts when the selection touches its box
            boxes = [b for b in boxes if mask[b[1] : b[3], b[0] : b[2]].any()]
        if result.message or not boxes:
            message = result.message or "No face is inside the selection; nothing was changed."
            self.panel.status.setText(message)
            self.notify.emit(message)
            return
        image = result.image[:, :, :3]
        if selected:
            image = blend_in_selection(job.request.image, image, mask)
        settings = {**result.settings, "faces": len(boxes), "in_selection": selected}
        self.doc.apply_image(image, "Face detail", settings)
        verb = "Repainted" if job.request.method == REPAINT else "Restored"
        done = f"{verb} {len(boxes)} face{'s' if len(boxes) != 1 else ''}"
        self.panel.status.setText(f"{done}. Undo with Ctrl+Z.")
        self.notify.emit(done)


def blend_in_selection(before: Any, after: Any, mask: Any) -> Any:
    """``after`` where ``mask`` selects (softly, by its value), ``before`` elsewhere: pixels
    outside the selection keep their exact values."""
    import numpy as np

    alpha = mask.astype(np.float32)[:, :, None] / 255.0
    mixed = before.astype(np.float32) * (1 - alpha) + after.astype(np.float32) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
