"""The canvas side panel: the selection's settings and the four actions with their main
settings; widgets only, the workspace connects them to the document and jobs.

It holds what fits a 1366x768 window without scrolling: files, tools and view live in the
tool bar above the canvas, the job's progress on the canvas, and Fill's advanced settings
(steps, strength, guidance, seed, work size, model and LoRA) are folded behind "More"
(whether it is open is remembered). The one-click tools (Expand, Upscale, Face detail) sit
at the bottom.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListView,
    QListWidget,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core import paths
from studio.pipelines.canvas.cutout import CUTOUT_MODELS
from studio.ui.workspaces.canvas.face_tool import FaceDetailRow
from studio.ui.workspaces.canvas.fill_models import FillModels

SAM_CHOICES = (("sam-vit-b", "SAM ViT-B (fast)"), ("sam-vit-h", "SAM ViT-H (precise)"))
CUTOUT_NAMES = {
    "rembg-u2net": "U2-Net",
    "rembg-isnet-general-use": "IS-Net",
    "rembg-birefnet-general": "BiRefNet",
}
MORE_KEY = "canvas/fill_more_open"


def _button(text: str, tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    return button


def _compact(layout: QLayout) -> QLayout:
    """Tighter margins and rows than the style's: the panel must fit 768 px high."""
    layout.setContentsMargins(6, 4, 6, 6)
    layout.setSpacing(4)
    return layout


def _ui_state() -> QSettings:
    """Small UI choices kept between runs (which folds are open)."""
    return QSettings(str(paths.config_dir() / "canvas.ini"), QSettings.Format.IniFormat)


class ToolPanel(QWidget):
    """Selection settings, the four actions with their settings, and the status line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvasToolPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)  # the style's gaps would push the unfolded More past 768 px

        # ---- selection -----------------------------------------------------------------------
        select = QGroupBox("Select")
        grid = _compact(QGridLayout(select))
        self.sam_model = QComboBox()
        self.sam_model.setToolTip("The model that turns clicks into a selection")
        for model_id, name in SAM_CHOICES:
            self.sam_model.addItem(name, model_id)
        grid.addWidget(self.sam_model, 0, 0, 1, 3)
        self.mask_px = QSpinBox(minimum=1, maximum=200, value=8, suffix=" px")
        self.mask_px.setToolTip("How far Grow, Shrink and Feather reach")
        self.grow_button = _button("Grow")
        self.shrink_button = _button("Shrink")
        self.feather_button = _button("Feather")
        self.invert_button = _button("Invert", "Select everything else (Ctrl+I)")
        self.clear_button = _button("Clear", "Select nothing (Ctrl+Shift+A)")
        grid.addWidget(self.mask_px, 1, 0)
        grid.addWidget(self.grow_button, 1, 1)
        grid.addWidget(self.shrink_button, 1, 2)
        grid.addWidget(self.feather_button, 2, 0)
        grid.addWidget(self.invert_button, 2, 1)
        grid.addWidget(self.clear_button, 2, 2)
        self.words = QLineEdit(placeholderText="Select by words: the car")
        self.words.setObjectName("selectWords")
        self.words.setClearButtonEnabled(True)
        self.words.setToolTip(
            "Describe what to select and press Enter (CLIPSeg, refined by SAM);"
            " your clicks add to it or cut from it"
        )
        self.words_button = _button("Find", "Select what the words describe")
        self.words_button.setObjectName("selectWordsButton")
        grid.addWidget(self.words, 3, 0, 1, 2)
        grid.addWidget(self.words_button, 3, 2)
        self.remove_button = _button("Remove object", "Erase the selection with LaMa")
        self.remove_button.setObjectName("removeButton")
        grid.addWidget(self.remove_button, 4, 0, 1, 3)
        layout.addWidget(select)

        # ---- fill ----------------------------------------------------------------------------
        fill = QGroupBox("Fill from prompt")
        form = _compact(QFormLayout(fill))
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.prompt = QLineEdit(placeholderText="What should appear there")
        self.negative = QLineEdit(placeholderText="What to avoid")
        self.variations = QSpinBox(minimum=1, maximum=8, value=1)
        self.fast = QCheckBox("Fast")
        self.fast.setToolTip("Fast mode (LCM-LoRA, latent consistency): 4-8 steps instead of 30")
        self.fill_button = _button("Fill", "Generate the selection from the prompt (SDXL)")
        self.more_button = QToolButton(text="More", checkable=True)
        self.more_button.setObjectName("fillMoreButton")
        self.more_button.setToolTip("Steps, strength, guidance, seed, work size, model and LoRA")
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.setAutoRaise(True)
        self.variations.setPrefix("×")
        self.variations.setToolTip("Variations: how many results to pick from")
        form.addRow("Prompt", self.prompt)
        form.addRow("Negative", self.negative)
        actions = QHBoxLayout()  # one row: with "More" open the panel must still fit 768 px
        actions.addWidget(self.more_button)
        actions.addWidget(self.fast)
        actions.addWidget(self.variations)
        actions.addWidget(self.fill_button, 1)
        form.addRow(actions)

        self.more = QWidget()
        self.more.setObjectName("fillMore")
        more = _compact(QGridLayout(self.more))  # two columns: unfolded, it still fits
        more.setContentsMargins(0, 0, 0, 0)
        self.steps = QSpinBox(minimum=1, maximum=150, value=30)
        self.strength = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, value=0.99)
        self.guidance = QDoubleSpinBox(minimum=0.0, maximum=20.0, singleStep=0.5, value=7.0)
        self.seed = QSpinBox(minimum=-1, maximum=2**31 - 1, value=-1, specialValueText="random")
        self.work_side = QSpinBox(
            minimum=128, maximum=2048, singleStep=64, value=1024, suffix=" px"
        )
        self.work_side.setToolTip("Resolution the model works at around the selection")
        for i, (label, field) in enumerate(
            (
                ("Steps", self.steps),
                ("Strength", self.strength),
                ("Guidance", self.guidance),
                ("Work size", self.work_side),
            )
        ):
            field.setMinimumWidth(64)  # small numbers: the panel stays narrow
            more.addWidget(QLabel(label), i // 2, 2 * (i % 2))
            more.addWidget(field, i // 2, 2 * (i % 2) + 1)
        more.addWidget(QLabel("Seed"), 2, 0)
        more.addWidget(self.seed, 2, 1, 1, 3)  # seeds are long numbers
        self.fill_models = FillModels()  # the catalogue's model or yours, and your LoRA
        more.addWidget(self.fill_models, 3, 0, 1, 4)
        more.setColumnStretch(1, 1)
        more.setColumnStretch(3, 1)
        form.addRow(self.more)

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
        self.more_button.toggled.connect(lambda on: self._show_more(on))
        self.more_button.setChecked(_ui_state().value(MORE_KEY, False, type=bool))
        self._show_more(self.more_button.isChecked())
        layout.addWidget(fill)

        # ---- cut out and upscale -------------------------------------------------------------
        cut = QGroupBox("Cut out background")
        cut_form = _compact(QFormLayout(cut))
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
        buttons = QHBoxLayout()
        buttons.addWidget(self.cutout_button)
        buttons.addWidget(self.edit_cutout_button)
        buttons.addWidget(self.apply_cutout_button)
        self.cutout_model.setToolTip("The model that finds the foreground")
        self.background.setToolTip("What replaces the background")
        bg_row.insertWidget(0, self.cutout_model, 1)  # model and background on one row
        cut_form.addRow(bg_row)
        cut_form.addRow(buttons)
        layout.addWidget(cut)
        self.upscale_button = _button("Upscale x4", "Real-ESRGAN x4plus, tiled")
        self.expand_button = _button(
            "Expand…", "Grow the canvas by pixels or to an aspect ratio; SDXL paints the new area"
        )
        self.expand_button.setObjectName("expandButton")
        grow_row = QHBoxLayout()
        grow_row.addWidget(self.expand_button)
        grow_row.addWidget(self.upscale_button)
        layout.addLayout(grow_row)
        self.face_row = FaceDetailRow()  # face restoration, a one-click tool like these
        self.face_button = self.face_row.button
        layout.addWidget(self.face_row)

        self.status = QLabel("Open a photo to start.", wordWrap=True)
        self.status.setObjectName("canvasStatus")
        layout.addWidget(self.status)
        layout.addStretch(1)

    def set_store(self, store: object) -> None:
        """The model store whose models the choosers offer (Fill's model and LoRA, face
        detail's restoration model)."""
        self.fill_models.set_store(store)
        self.face_row.set_store(store)

    def _show_more(self, on: bool) -> None:
        self.more.setVisible(on)
        self.more_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        state = _ui_state()
        if state.value(MORE_KEY, False, type=bool) != on:
            state.setValue(MORE_KEY, on)

    def set_colour(self, colour: QColor) -> None:
        self.colour = colour
        self.colour_button.setStyleSheet(f"background: {colour.name()}; border: 1px solid #888;")

    def _fast_toggled(self, on: bool) -> None:
        # Fast mode needs few steps and low guidance; switch to sensible values.
        self.steps.setValue(6 if on else 30)
        self.guidance.setValue(1.0 if on else 7.0)  # LCM: guidance 1 = no CFG, half the work

    def refresh(self, *, has_image: bool, selected: bool, idle: bool, cutout: bool) -> None:
        """Enable what makes sense now (no image: nothing; nothing selected: no Remove)."""
        for w in (
            self.grow_button,
            self.shrink_button,
            self.feather_button,
            self.invert_button,
            self.clear_button,
            self.upscale_button,
            self.cutout_button,
            self.words,
            self.words_button,
        ):
            w.setEnabled(has_image)
        self.expand_button.setEnabled(has_image and idle)
        self.face_button.setEnabled(has_image and idle)
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
            self.expand_button,
            self.face_button,
        ):
            button.setEnabled(not busy)
