"""The Expand dialog: grow the canvas by pixels on each side, or to an aspect ratio.

It only gathers and checks the values (with the pipeline's own :func:`padding`, so the
dialog refuses exactly what the job would); the controller submits the ``canvas.expand`` job.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

ASPECT_CHOICES = ("4:5", "3:2", "16:9", "1:1", "2:3", "5:4", "9:16")
ANCHOR_NAMES = {
    "center": "Centre",
    "left": "Left (grow to the right)",
    "right": "Right (grow to the left)",
    "top": "Top (grow downwards)",
    "bottom": "Bottom (grow upwards)",
}
SIDES = (("left", "&Left"), ("top", "&Top"), ("right", "R&ight"), ("bottom", "&Bottom"))
MAX_GROW = 4096  # the pipeline's limit per side (studio.pipelines.canvas.expand.MAX_GROW)


class ExpandDialog(QDialog):
    """Asks how to grow an image of ``width`` x ``height``; :meth:`values` once accepted."""

    preview = Signal(dict)  # the pixels each side would grow now (zeros while refused)

    def __init__(
        self, width: int, height: int, prompt: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("expandDialog")
        self.setWindowTitle("Expand canvas")
        self.image_size = (width, height)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The image is {width} x {height}. The new area is generated."))

        grid = QGridLayout()
        self.by_pixels = QRadioButton("By &pixels per side")
        self.by_aspect = QRadioButton("To an &aspect ratio")
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.by_pixels)
        self.mode.addButton(self.by_aspect)
        self.by_pixels.setChecked(True)
        grid.addWidget(self.by_pixels, 0, 0, 1, 4)
        self.sides: dict[str, QSpinBox] = {}
        for i, (name, text) in enumerate(SIDES):
            spin = QSpinBox(minimum=0, maximum=MAX_GROW, singleStep=64, suffix=" px")
            spin.setObjectName(f"expand-{name}")
            label = QLabel(text)
            label.setBuddy(spin)
            grid.addWidget(label, 1 + i // 2, 2 * (i % 2))
            grid.addWidget(spin, 1 + i // 2, 2 * (i % 2) + 1)
            self.sides[name] = spin
        self.sides["right"].setValue(256)  # a sensible start: one side, a quarter of 1024
        grid.addWidget(self.by_aspect, 3, 0, 1, 4)
        self.aspect = QComboBox()
        self.aspect.setObjectName("expandAspect")
        for ratio in ASPECT_CHOICES:
            self.aspect.addItem(ratio, ratio)
        self.anchor = QComboBox()
        self.anchor.setObjectName("expandAnchor")
        self.anchor.setToolTip("Where the photo stays in the larger canvas")
        for key, name in ANCHOR_NAMES.items():
            self.anchor.addItem(name, key)
        ratio_label, anchor_label = QLabel("Rati&o"), QLabel("Photo &stays")
        ratio_label.setBuddy(self.aspect)
        anchor_label.setBuddy(self.anchor)
        grid.addWidget(ratio_label, 4, 0)
        grid.addWidget(self.aspect, 4, 1)
        grid.addWidget(anchor_label, 4, 2)
        grid.addWidget(self.anchor, 4, 3)
        prompt_label = QLabel("Pro&mpt")
        self.prompt = QLineEdit(prompt, placeholderText="What the new area shows (optional)")
        self.prompt.setObjectName("expandPrompt")
        prompt_label.setBuddy(self.prompt)
        grid.addWidget(prompt_label, 5, 0)
        grid.addWidget(self.prompt, 5, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        layout.addLayout(grid)

        self.size_label = QLabel()
        self.size_label.setObjectName("expandNewSize")
        layout.addWidget(self.size_label)
        self.message = QLabel(wordWrap=True)
        self.message.setObjectName("expandMessage")
        self.message.setStyleSheet("color: #c62828;")
        self.message.setVisible(False)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Expand")
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText("&Cancel")
        buttons.accepted.connect(lambda: self.accept())
        buttons.rejected.connect(lambda: self.reject())
        layout.addWidget(buttons)

        for spin in self.sides.values():
            spin.valueChanged.connect(lambda _v: self._changed())
        self.aspect.currentIndexChanged.connect(lambda _i: self._changed())
        self.anchor.currentIndexChanged.connect(lambda _i: self._changed())
        self.by_pixels.toggled.connect(lambda _on: self._changed())
        self._changed()

    def values(self) -> dict[str, Any]:
        """The ``ExpandRequest`` fields the dialog sets (sides, or aspect and anchor; prompt)."""
        out: dict[str, Any] = {"prompt": self.prompt.text().strip()}
        if self.by_pixels.isChecked():
            out.update({name: spin.value() for name, spin in self.sides.items()})
        else:
            out.update(aspect=self.aspect.currentData(), anchor=self.anchor.currentData())
        return out

    def set_side(self, side: str, pixels: int) -> None:
        """A handle on the canvas was dragged: grow ``side`` by ``pixels`` (pixel mode)."""
        self.by_pixels.setChecked(True)
        self.sides[side].setValue(pixels)

    def padding(self) -> dict[str, int]:
        """The pixels each side grows with the current values (zeros while refused)."""
        from studio.core.errors import StudioError
        from studio.pipelines.canvas.expand import ExpandRequest, padding

        fields = {k: v for k, v in self.values().items() if k != "prompt"}
        try:
            grown = padding(ExpandRequest(image=None, **fields), *self.image_size)
        except StudioError:
            grown = (0, 0, 0, 0)
        return dict(zip(("left", "top", "right", "bottom"), grown, strict=True))

    def problem(self) -> tuple[str | None, tuple[int, int] | None]:
        """``(message, None)`` for values the job would refuse, else ``(None, new size)``."""
        from studio.core.errors import StudioError
        from studio.pipelines.canvas.expand import ExpandRequest, padding

        w, h = self.image_size
        fields = {k: v for k, v in self.values().items() if k != "prompt"}
        try:
            left, top, right, bottom = padding(ExpandRequest(image=None, **fields), w, h)
        except StudioError as exc:
            return exc.user_message, None
        return None, (w + left + right, h + top + bottom)

    def _changed(self) -> None:
        pixels = self.by_pixels.isChecked()
        for spin in self.sides.values():
            spin.setEnabled(pixels)
        self.aspect.setEnabled(not pixels)
        self.anchor.setEnabled(not pixels)
        self.message.setVisible(False)
        message, size = self.problem()
        self.size_label.setText(
            f"New size: {size[0]} x {size[1]}" if size else "New size: unchanged"
        )
        self.preview.emit(self.padding())

    def accept(self) -> None:
        """Close only with values the job accepts; otherwise say what is wrong."""
        message, _size = self.problem()
        if message is not None:
            self.message.setText(message)
            self.message.setVisible(True)
            return
        super().accept()


class ExpandDialogHost:
    """Mixed into :class:`CanvasWorkspace`: opens the Expand dialog beside the canvas's edge
    handles; accepting it submits ``canvas.expand`` through the controller."""

    doc: Any
    controller: Any
    panel: Any
    expand_box: ExpandDialog | None
    expand_handles: Any

    def expand_dialog(self) -> ExpandDialog | None:
        """Open the Expand dialog (not blocking); accepting it submits ``canvas.expand``."""
        if not self.doc.has_image or self.controller.action_job is not None:
            return None
        w, h = self.doc.size
        if self.expand_box is not None:
            self.expand_box.reject()
        box = ExpandDialog(w, h, self.panel.prompt.text(), self)  # type: ignore[arg-type]
        self.expand_box = box
        # Not modal: the handles on the canvas edges are dragged while it is open.
        box.setModal(False)
        box.accepted.connect(lambda: self.controller.expand(box.values()))
        box.finished.connect(lambda _result: self._expand_closed(box))
        box.preview.connect(lambda sides: self.expand_handles.set_sides(sides))
        self.expand_handles.show(box.padding())
        box.show()
        return box

    def _expand_closed(self, box: ExpandDialog) -> None:
        if self.expand_box is box:
            self.expand_box = None
            self.expand_handles.hide()
        box.deleteLater()
