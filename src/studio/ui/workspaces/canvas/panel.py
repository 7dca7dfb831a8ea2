"""The canvas tool panel: widgets only; the workspace connects them to the document and jobs."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.pipelines.canvas.cutout import CUTOUT_MODELS

SAM_CHOICES = (("sam-vit-b", "SAM ViT-B (fast)"), ("sam-vit-h", "SAM ViT-H (precise)"))
CUTOUT_NAMES = {
    "rembg-u2net": "U2-Net",
    "rembg-isnet-general-use": "IS-Net",
    "rembg-birefnet-general": "BiRefNet",
}


def _button(text: str, tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    return button


class ToolPanel(QWidget):
    """Selection tools, the four actions with their settings, and the job progress."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvasToolPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        files = QHBoxLayout()
        self.open_button = _button("Open…", "Open a photo (or drop / paste one)")
        self.export_button = _button("Export…", "Save as PNG, JPEG or WebP")
        files.addWidget(self.open_button)
        files.addWidget(self.export_button)
        layout.addLayout(files)
        steps = QHBoxLayout()
        self.undo_button = _button("Undo", "Undo the last step (Ctrl+Z)")
        self.redo_button = _button("Redo", "Redo (Ctrl+Y or Ctrl+Shift+Z)")
        steps.addWidget(self.undo_button)
        steps.addWidget(self.redo_button)
        layout.addLayout(steps)

        # ---- selection -----------------------------------------------------------------------
        select = QGroupBox("Select")
        grid = QGridLayout(select)
        self.tools = QButtonGroup(self)
        self.tool_buttons: dict[str, QToolButton] = {}
        for col, (key, text, tip) in enumerate(
            (
                ("select", "Click", "Left-click adds, right-click (or Alt) removes, drag a box"),
                ("brush", "Brush", "Paint onto the mask"),
                ("eraser", "Eraser", "Erase from the mask"),
            )
        ):
            button = QToolButton(text=text, checkable=True, toolTip=tip)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(
                button.sizePolicy().Policy.Expanding, button.sizePolicy().Policy.Fixed
            )
            self.tools.addButton(button)
            self.tool_buttons[key] = button
            grid.addWidget(button, 0, col)
        self.tool_buttons["select"].setChecked(True)
        self.sam_model = QComboBox()
        for model_id, name in SAM_CHOICES:
            self.sam_model.addItem(name, model_id)
        grid.addWidget(self.sam_model, 1, 0, 1, 3)
        self.brush_size = QSlider(Qt.Orientation.Horizontal, minimum=2, maximum=200, value=24)
        self.brush_label = QLabel("Brush 24 px")
        self.brush_size.valueChanged.connect(lambda v: self.brush_label.setText(f"Brush {v} px"))
        grid.addWidget(self.brush_label, 2, 0)
        grid.addWidget(self.brush_size, 2, 1, 1, 2)
        self.mask_px = QSpinBox(minimum=1, maximum=200, value=8, suffix=" px")
        self.grow_button = _button("Grow")
        self.shrink_button = _button("Shrink")
        self.feather_button = _button("Feather")
        self.invert_button = _button("Invert")
        self.clear_button = _button("Clear")
        grid.addWidget(self.mask_px, 3, 0)
        grid.addWidget(self.grow_button, 3, 1)
        grid.addWidget(self.shrink_button, 3, 2)
        grid.addWidget(self.feather_button, 4, 0)
        grid.addWidget(self.invert_button, 4, 1)
        grid.addWidget(self.clear_button, 4, 2)
        layout.addWidget(select)

        # ---- remove --------------------------------------------------------------------------
        self.remove_button = _button("Remove object", "Erase the selection with LaMa")
        self.remove_button.setObjectName("removeButton")
        layout.addWidget(self.remove_button)

        # ---- fill ----------------------------------------------------------------------------
        fill = QGroupBox("Fill from prompt")
        form = QFormLayout(fill)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.prompt = QLineEdit(placeholderText="What should appear there")
        self.negative = QLineEdit(placeholderText="What to avoid")
        self.steps = QSpinBox(minimum=1, maximum=150, value=30)
        self.strength = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, value=0.99)
        self.guidance = QDoubleSpinBox(minimum=0.0, maximum=20.0, singleStep=0.5, value=7.0)
        self.seed = QSpinBox(minimum=-1, maximum=2**31 - 1, value=-1, specialValueText="random")
        self.fast = QCheckBox("Fast (LCM, 4-8 steps)")
        self.variations = QSpinBox(minimum=1, maximum=8, value=1)
        self.work_side = QSpinBox(
            minimum=128, maximum=2048, singleStep=64, value=1024, suffix=" px"
        )
        self.work_side.setToolTip("Resolution the model works at around the selection")
        self.fill_button = _button("Fill", "Generate the selection from the prompt (SDXL)")
        form.addRow("Prompt", self.prompt)
        form.addRow("Negative", self.negative)
        row = QHBoxLayout()
        row.addWidget(QLabel("Steps"))
        row.addWidget(self.steps)
        row.addWidget(QLabel("Variations"))
        row.addWidget(self.variations)
        form.addRow(row)
        form.addRow("Strength", self.strength)
        form.addRow("Guidance", self.guidance)
        form.addRow("Seed", self.seed)
        form.addRow("Work size", self.work_side)
        form.addRow(self.fast)
        form.addRow(self.fill_button)
        self.variation_list = QListWidget()
        self.variation_list.setObjectName("variationList")
        self.variation_list.setViewMode(QListView.ViewMode.IconMode)
        self.variation_list.setFlow(QListView.Flow.LeftToRight)
        self.variation_list.setIconSize(QSize(56, 56))
        self.variation_list.setFixedHeight(84)
        self.variation_list.setToolTip("Pick a variation")
        self.variation_list.setVisible(False)
        form.addRow(self.variation_list)
        self.fast.toggled.connect(self._fast_toggled)
        layout.addWidget(fill)

        # ---- cut out and upscale -------------------------------------------------------------
        cut = QGroupBox("Cut out background")
        cut_form = QFormLayout(cut)
        self.cutout_model = QComboBox()
        for model_id in CUTOUT_MODELS:
            self.cutout_model.addItem(CUTOUT_NAMES.get(model_id, model_id), model_id)
        self.background = QComboBox()
        self.background.addItem("Transparent", "transparent")
        self.background.addItem("Colour", "colour")
        self.colour_button = _button("", "Background colour")
        self.colour_button.setFixedWidth(36)
        self.set_colour(QColor(255, 255, 255))
        bg_row = QHBoxLayout()
        bg_row.addWidget(self.background, 1)
        bg_row.addWidget(self.colour_button)
        self.cutout_button = _button("Cut out")
        self.edit_cutout_button = _button("Edit mask", "Load the cut-out's mask to brush it")
        self.apply_cutout_button = _button("Apply mask", "Cut out again with the edited mask")
        refine = QHBoxLayout()
        refine.addWidget(self.edit_cutout_button)
        refine.addWidget(self.apply_cutout_button)
        cut_form.addRow("Model", self.cutout_model)
        cut_form.addRow("Background", bg_row)
        cut_form.addRow(self.cutout_button)
        cut_form.addRow(refine)
        layout.addWidget(cut)
        self.upscale_button = _button("Upscale x4", "Real-ESRGAN x4plus, tiled")
        layout.addWidget(self.upscale_button)

        # ---- progress and view -----------------------------------------------------------------
        self.status = QLabel("Open a photo to start.", wordWrap=True)
        self.status.setObjectName("canvasStatus")
        self.progress = QProgressBar(textVisible=True)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("Ready")
        self.cancel_button = _button("Cancel")
        self.cancel_button.setEnabled(False)
        prog = QHBoxLayout()
        prog.addWidget(self.progress, 1)
        prog.addWidget(self.cancel_button)
        layout.addLayout(prog)
        layout.addWidget(self.status)

        view = QHBoxLayout()
        self.fit_button = _button("Fit", "Fit the image to the window")
        self.actual_button = _button("100%", "Actual pixels")
        self.compare = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=0)
        self.compare.setToolTip("Before / after: drag to reveal the original (or hold B)")
        view.addWidget(self.fit_button)
        view.addWidget(self.actual_button)
        view.addWidget(QLabel("Before"))
        view.addWidget(self.compare, 1)
        layout.addLayout(view)
        layout.addStretch(1)

    def set_colour(self, colour: QColor) -> None:
        self.colour = colour
        self.colour_button.setStyleSheet(f"background: {colour.name()}; border: 1px solid #888;")

    def _fast_toggled(self, on: bool) -> None:
        # Fast mode needs few steps and low guidance; switch to sensible values.
        self.steps.setValue(6 if on else 30)
        self.guidance.setValue(1.0 if on else 7.0)  # LCM: guidance 1 = no CFG, half the work

    def refresh(
        self,
        *,
        has_image: bool,
        selected: bool,
        idle: bool,
        cutout: bool,
        can_undo: bool = False,
        can_redo: bool = False,
    ) -> None:
        """Enable what makes sense now (no image: only Open; nothing selected: no Remove)."""
        self.undo_button.setEnabled(can_undo)
        self.redo_button.setEnabled(can_redo)
        for w in (
            self.export_button,
            self.grow_button,
            self.shrink_button,
            self.feather_button,
            self.invert_button,
            self.clear_button,
            self.fit_button,
            self.actual_button,
            self.compare,
            self.upscale_button,
            self.cutout_button,
        ):
            w.setEnabled(has_image)
        self.remove_button.setEnabled(selected and idle)
        self.fill_button.setEnabled(selected and idle)
        self.edit_cutout_button.setEnabled(cutout)
        self.apply_cutout_button.setEnabled(cutout and has_image)
        if not idle:
            self.set_busy(True)

    def set_busy(self, busy: bool) -> None:
        for button in (
            self.remove_button,
            self.fill_button,
            self.cutout_button,
            self.upscale_button,
        ):
            button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
