"""The Style step's choices beyond the style itself: the portrait format (1:1, 4:5, 2:3),
face detail (a switch and a strength, off with an install hint while its model is missing)
and the options folded under "More options" (size, refine best, upscale, a fixed seed).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.pipelines.headshots.frames import ASPECTS, frame_size
from studio.ui.widgets.images import screen_dpr
from studio.ui.widgets.theme import set_tone

# The restoration model Headshots' face detail runs (``finishing.FACE_DETAIL_ID``, which is
# ``canvas.face_detail.RESTOREFORMER_ID``): named here because importing the pipeline module
# loads numpy, which the window does not load before a job runs. A test keeps them equal.
FACE_DETAIL_MODEL = "restoreformer"
FACE_DETAIL_DEFAULT = 0.5  # the pipeline's suggested "on" strength
MAX_SEED = 2**31 - 1
ASPECT_NAMES = {"1:1": "Square", "4:5": "Portrait 4:5", "2:3": "Tall portrait 2:3"}


def _aspect_icon(aspect: str, side: int = 18) -> QIcon:
    """A small outline of the format's shape, in the palette's text colour."""
    dpr = screen_dpr()
    aw, ah = (int(v) for v in aspect.split(":"))
    height = side - 2
    width = max(4, round(height * aw / ah))
    pixmap = QPixmap(round(side * dpr), round(side * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(QGuiApplication.palette().color(QPalette.ColorRole.ButtonText))
    painter.drawRect(QRect((side - width) // 2, 1, width - 1, height - 1))
    painter.end()
    return QIcon(pixmap)


class FormatPicker(QWidget):
    """Three exclusive buttons (Alt+1, Alt+4, Alt+2) and the pixel size they give."""

    changed = Signal(str)  # the chosen aspect ("1:1", "4:5", "2:3")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        for aspect in ASPECTS:
            button = QPushButton(f"&{aspect}")  # Alt+1, Alt+4, Alt+2
            button.setCheckable(True)
            button.setIcon(_aspect_icon(aspect))
            button.setToolTip(ASPECT_NAMES[aspect])
            self.group.addButton(button)
            self.buttons[aspect] = button
            row.addWidget(button)
        self.pixels = QLabel("")
        set_tone(self.pixels, "muted")
        row.addSpacing(6)
        row.addWidget(self.pixels)
        self._side = 1024
        self.buttons["1:1"].setChecked(True)
        self.group.buttonToggled.connect(lambda _b, on: on and self._changed())
        self._show_pixels()

    def aspect(self) -> str:
        return next(a for a, b in self.buttons.items() if b.isChecked())

    def set_aspect(self, aspect: str) -> None:
        self.buttons[aspect].setChecked(True)

    def set_side(self, side: int) -> None:
        """The square side chosen under Size: the format keeps about its pixel count."""
        self._side = side
        self._show_pixels()

    def _changed(self) -> None:
        self._show_pixels()
        self.changed.emit(self.aspect())

    def _show_pixels(self) -> None:
        width, height = frame_size(self._side, self.aspect())
        self.pixels.setText(f"{width} × {height} px" if min(width, height) >= 64 else "too small")


class FaceDetail(QWidget):
    """Face detail on or off with a strength slider (0.05-1); while the restoration model is
    not installed the switch is off and disabled, and a hint says how to get it."""

    def __init__(self, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.switch = QCheckBox("Face &detail")
        self.switch.setToolTip(
            "Restore the faces of the refined portraits (Refine best) after generation"
        )
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=5, maximum=100, singleStep=5)
        self.slider.setPageStep(10)
        self.slider.setValue(round(FACE_DETAIL_DEFAULT * 100))
        self.slider.setAccessibleName("Face detail strength")
        self.slider.setToolTip("How much of the restored face replaces the generated one")
        self.slider.setMaximumWidth(220)
        self.value = QLabel("")
        self.value.setMinimumWidth(self.value.fontMetrics().horizontalAdvance("0.00 "))
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        set_tone(self.hint, "muted")
        self.slider.valueChanged.connect(lambda _v: self._show_value())
        self.switch.toggled.connect(lambda _on: self._show_value())
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.switch)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value)
        row.addStretch()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.hint)
        self.installed: bool | None = None  # unknown until the first check
        self.refresh()

    def strength(self) -> float:
        """The pack's ``face_detail``: 0 when off."""
        return self.slider.value() / 100 if self.switch.isChecked() else 0.0

    def set_strength(self, strength: float) -> None:
        """On at ``strength`` (off for 0); stays off while the model is missing."""
        if strength > 0:
            self.slider.setValue(max(5, round(strength * 100)))
        self.switch.setChecked(strength > 0 and bool(self.installed))

    def refresh(self) -> None:
        """Read whether the model is installed (a small marker file): the default is on at a
        moderate strength with it, off with a hint without it. Called when the step is shown,
        so a model downloaded meanwhile (Tools > Models) is picked up."""
        installed = self.store is not None and self.store.is_installed(FACE_DETAIL_MODEL)
        if installed != self.installed:
            self.installed = installed
            self.switch.setEnabled(installed)
            self.switch.setChecked(installed)
            self.hint.setText(self._missing_text() if not installed else "")
            self.hint.setVisible(not installed)
        self._show_value()

    def _missing_text(self) -> str:
        name = FACE_DETAIL_MODEL
        if self.store is not None and FACE_DETAIL_MODEL in self.store.catalogue:
            name = self.store.catalogue.get(FACE_DETAIL_MODEL).name
        return (
            f"Face detail needs {name}: download it in Tools > Models "
            f"(or run: studio models download {FACE_DETAIL_MODEL})."
        )

    def _show_value(self) -> None:
        on = self.switch.isChecked()
        self.slider.setEnabled(on)
        self.value.setEnabled(on)
        self.value.setText(f"{self.slider.value() / 100:.2f}")


class MoreOptions(QWidget):
    """Size, refine best, upscale and the seed, shown under a "More options" toggle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(text="M&ore options", checkable=True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.image_size = QSpinBox(minimum=64, maximum=2048, singleStep=64, value=1024)
        self.top_k = QSpinBox(minimum=0, maximum=50, value=10)
        self.upscale = QCheckBox("&Upscale x4", checked=True)
        self.fixed_seed = QCheckBox("Fi&xed seed")
        self.fixed_seed.setToolTip("Off: every pack draws a new random seed")
        self.seed = QSpinBox(minimum=0, maximum=MAX_SEED, enabled=False)
        self.seed.setAccessibleName("Seed")
        self.fixed_seed.toggled.connect(self.seed.setEnabled)
        self.panel = QWidget()
        row = QHBoxLayout(self.panel)
        row.setContentsMargins(0, 0, 0, 0)
        for text, field in (("Si&ze (px)", self.image_size), ("Refine be&st", self.top_k)):
            label = QLabel(text)
            label.setBuddy(field)
            row.addWidget(label)
            row.addWidget(field)
            row.addSpacing(8)
        for widget in (self.upscale, self.fixed_seed, self.seed):
            row.addWidget(widget)
        row.addStretch()
        self.panel.setVisible(False)
        self.toggle.toggled.connect(lambda on: self.show_panel(on))
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.toggle)
        column.addWidget(self.panel)

    def show_panel(self, on: bool) -> None:
        self.toggle.setChecked(on)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.panel.setVisible(on)

    def set_seed(self, seed: int | None) -> None:
        """A fixed seed (None: random again)."""
        self.fixed_seed.setChecked(seed is not None)
        if seed is not None:
            self.seed.setValue(seed)

    def seed_or(self, random_seed: int) -> int:
        return self.seed.value() if self.fixed_seed.isChecked() else random_seed
