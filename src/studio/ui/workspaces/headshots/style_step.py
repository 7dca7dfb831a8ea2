"""Step 2 of the Headshots wizard: the style pack (from a list or its illustrative thumbnail,
or a custom prompt), image count, format (1:1, 4:5, 2:3), face detail, and under "More
options" size, refine top-k, upscale and a fixed seed (``style_options.py``); and the
licences: the workspace as a whole (non-commercial: InstantID and antelopev2 are for research
only) and per model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)

from studio.core.errors import StudioError
from studio.models.catalogue import workspace_licence
from studio.pipelines.headshots.styles import StylePack, list_styles
from studio.ui.widgets.images import screen_dpr
from studio.ui.widgets.theme import set_tone
from studio.ui.workspaces.headshots.pose_picker import PosePicker
from studio.ui.workspaces.headshots.style_options import FaceDetail, FormatPicker, MoreOptions
from studio.ui.workspaces.headshots.tiles import placeholder_tile

if TYPE_CHECKING:  # the pack module loads numpy: imported where a request is made
    from studio.pipelines.headshots.pack import PackRequest

FACE_MODELS = ("antelopev2", "instantid", "realvisxl-v4-lightning", "taesdxl", "restoreformer")
THUMB = 104  # style thumbnail size (the files are 256 px: small enough to load here)


class StyleStep(QWidget):
    """The style and size choices; the workspace reads them into a ``PackRequest``.
    ``store`` says whether face detail's model is installed (None: treated as missing)."""

    def __init__(self, catalogue: Any, parent: QWidget | None = None, store: Any = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.styles: dict[str, StylePack] = {}  # by id, for settings used again
        self.style_box = QComboBox()
        # the same choices as thumbnails (illustrations of each style, not generated samples)
        self.style_list = QListWidget(viewMode=QListWidget.ViewMode.IconMode)
        self.style_list.setIconSize(QSize(THUMB, THUMB))
        self.style_list.setGridSize(QSize(THUMB + 24, THUMB + 26))
        self.style_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.style_list.setMovement(QListWidget.Movement.Static)
        self.style_list.setUniformItemSizes(True)
        self.style_list.setMinimumHeight(THUMB + 40)
        # (item, style id, thumbnail) whose icons are drawn when the tab is first shown:
        # decoding and scaling every thumbnail is not worth holding up the window's start.
        self._unpainted: list[tuple[QListWidgetItem, str, Path | None]] = []
        try:
            for style in list_styles():
                self.styles[style.id] = style
                self.style_box.addItem(style.name, style.id)
                self._add_style_item(style.name, style.id, style.thumbnail)
        except StudioError as exc:
            self.style_box.addItem(f"(styles unreadable: {exc.user_message})", "")
            self._add_style_item("(styles unreadable)", "", None)
        self.style_box.addItem("Custom prompt", "custom")
        self._add_style_item("Custom prompt", "custom", None)
        self.style_box.currentIndexChanged.connect(self.style_list.setCurrentRow)
        self.style_list.currentRowChanged.connect(
            lambda row: row >= 0 and self.style_box.setCurrentIndex(row)
        )
        self.style_list.setCurrentRow(self.style_box.currentIndex())
        self.prompt = QLineEdit(placeholderText="extra details, e.g. 'red tie, glasses'")
        self.count = QSpinBox(minimum=1, maximum=200, value=40)
        self.format = FormatPicker()
        self.face_detail = FaceDetail(store)
        self.pose = PosePicker(store)
        self.more = MoreOptions()  # folded: the page fits a 1366x768 window
        # not "size": that would hide QWidget.size()
        self.image_size, self.top_k = self.more.image_size, self.more.top_k
        self.upscale = self.more.upscale
        self.image_size.valueChanged.connect(self.format.set_side)
        form = QFormLayout(self)
        self.licence_note = licence_note(catalogue)
        form.addRow(self.licence_note)
        form.addRow("St&yle", self.style_box)
        form.addRow("", self.style_list)
        form.addRow("Pro&mpt", self.prompt)
        count_row = QHBoxLayout()
        count_row.addWidget(self.count)
        count_row.addSpacing(16)
        count_row.addWidget(QLabel("Format"))  # no Alt letter: the buttons have Alt+1/4/2
        count_row.addWidget(self.format)
        count_row.addStretch()
        form.addRow("&Images", count_row)
        form.labelForField(count_row).setBuddy(self.count)
        form.addRow("", self.face_detail)
        form.addRow(QLabel("Pose"), self.pose)  # no buddy: no Alt letter is left in "Pose"
        form.addRow("", self.more)
        self.licences = QLabel(self._licence_text())
        self.licences.setWordWrap(True)
        form.addRow(QLabel("Models"), self.licences)  # no buddy: read-only text

    def pack_request(self, selfies: list[Path], seed: int) -> PackRequest:
        """The pack job's request from these choices (``selfies``: the accepted ones;
        ``seed``: the random seed used unless a fixed one is set)."""
        from studio.pipelines.headshots.pack import PackRequest

        return PackRequest(
            selfies=selfies,
            style=self.style_box.currentData() or "corporate",
            custom_prompt=self.prompt.text(),
            count=self.count.value(),
            size=self.image_size.value(),
            aspect=self.format.aspect(),
            refine_top_k=self.top_k.value(),
            upscale=self.upscale.isChecked(),
            face_detail=self.face_detail.strength(),
            face_fix=self.pose.face_fix_method(),
            pose=self.pose.pose(),
            seed=self.more.seed_or(seed),
        )

    def _add_style_item(self, name: str, style_id: str, thumbnail: Path | None) -> None:
        item = QListWidgetItem(name)
        item.setData(Qt.ItemDataRole.UserRole, style_id)
        item.setToolTip(f"{name} (illustration, not a generated sample)" if thumbnail else name)
        self.style_list.addItem(item)
        self._unpainted.append((item, style_id, thumbnail))

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self.face_detail.refresh()  # a model downloaded since the step was last shown
        self.pose.refresh()
        for item, style_id, thumbnail in self._unpainted:
            item.setIcon(_style_icon(style_id, thumbnail))
        self._unpainted.clear()
        super().showEvent(event)

    def _licence_text(self) -> str:
        lines = []
        for model_id in FACE_MODELS:
            if model_id in self.catalogue:
                e = self.catalogue.get(model_id)
                mark = " — <b>non-commercial use only</b>" if not e.commercial_use else ""
                lines.append(f"{e.name}: {e.licence}{mark}")
        lines.append("Identity scoring: dlib face recognition ResNet (MIT, ships with Studio)")
        return "<br>".join(lines)


def licence_text(catalogue: Any) -> str:
    """The workspace's licence sentence ("Headshots: not for commercial use. ...")."""
    try:
        return workspace_licence("headshots", catalogue).text
    except KeyError:  # a catalogue without the headshots workspace (never shipped)
        return ""


def licence_note(catalogue: Any) -> QLabel:
    """The licence sentence as a small boxed note, shown in the Style and Export steps."""
    note = QLabel(licence_text(catalogue))
    note.setWordWrap(True)
    note.setTextFormat(Qt.TextFormat.PlainText)
    note.setObjectName("licenceNote")
    set_tone(note, "warning-note")  # readable in the dark and the light theme
    note.setVisible(bool(note.text()))
    return note


def _style_icon(style_id: str, thumbnail: Path | None) -> QIcon:
    """The style's thumbnail as a list icon, or a plain tile (custom prompt, missing file)."""
    image = QPixmap(str(thumbnail)) if thumbnail is not None else QPixmap()
    dpr = screen_dpr()
    if image.isNull():  # no thumbnail (custom prompt, or a missing file): a plain tile
        image = placeholder_tile(THUMB, "✎" if style_id else "?", dpr)
    else:
        side = round(THUMB * dpr)
        image = image.scaled(
            side,
            side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        image.setDevicePixelRatio(dpr)
    icon = QIcon(image)
    icon.addPixmap(image, QIcon.Mode.Selected)  # untinted: the label shows the selection
    return icon
