"""Choosing a Live source: the source list (following camera hot-plugging) and the screen
region dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from studio.ui.workspaces.live.sources import available_cameras


class RegionDialog(QDialog):
    """Pick a screen region by position and size (kept inside the screen)."""

    def __init__(
        self,
        screen: QScreen | None = None,
        region: QRect | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Screen region")
        self.target_screen = screen or QGuiApplication.primaryScreen()
        geometry = self.target_screen.geometry()
        start = region or QRect(0, 0, min(512, geometry.width()), min(512, geometry.height()))
        self.left = QSpinBox(minimum=0, maximum=geometry.width() - 8, value=start.x())
        self.top = QSpinBox(minimum=0, maximum=geometry.height() - 8, value=start.y())
        self.width_box = QSpinBox(minimum=8, maximum=geometry.width(), value=start.width())
        self.height_box = QSpinBox(minimum=8, maximum=geometry.height(), value=start.height())
        form = QFormLayout(self)
        for label, box in (
            ("Left", self.left),
            ("Top", self.top),
            ("Width", self.width_box),
            ("Height", self.height_box),
        ):
            box.setSuffix(" px")
            form.addRow(label, box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def region(self) -> QRect:
        """The chosen region, clipped to the screen."""
        g = self.target_screen.geometry()
        x, y = self.left.value(), self.top.value()
        w = min(self.width_box.value(), g.width() - x)
        h = min(self.height_box.value(), g.height() - y)
        return QRect(x, y, max(8, w), max(8, h))


class SourcePicker(QComboBox):
    """The source list: none, Canvas, each camera (or "No camera found"), screen, file.

    Items carry ``(kind, camera device or None)``; the list follows camera hot-plugging.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas_available = False
        self.media_devices = _media_devices(self)
        if self.media_devices is not None:
            self.media_devices.videoInputsChanged.connect(self.refresh)
        self.refresh()

    def set_canvas_available(self, available: bool) -> None:
        self.canvas_available = available
        self.refresh()

    def current(self) -> tuple[str, Any]:
        return self.currentData()  # type: ignore[no-any-return]

    def refresh(self) -> None:
        """Rebuild the list (cameras come and go), keeping the current choice."""
        kind, device = self.current() if self.count() else ("none", None)
        self.clear()
        self.addItem("None (text to image)", ("none", None))
        self.addItem("Canvas", ("canvas", None))
        self._enable(1, self.canvas_available)
        cameras = available_cameras() if self.media_devices is not None else []
        for camera in cameras:
            self.addItem(f"Camera: {camera.description()}", ("camera", camera))
        if not cameras:
            self.addItem("No camera found", ("nocamera", None))
            self._enable(self.count() - 1, False)
        self.addItem("Screen region...", ("screen", None))
        self.addItem("Image file...", ("file", None))
        self.select(kind, device)

    def select(self, kind: str, device: Any = None) -> None:
        for i in range(self.count()):
            item_kind, item_device = self.itemData(i)
            if item_kind == kind and _same_device(item_device, device):
                self.setCurrentIndex(i)
                return
        self.setCurrentIndex(0)

    def _enable(self, index: int, enabled: bool) -> None:
        item = self.model().item(index)  # type: ignore[attr-defined]
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        item.setFlags(item.flags() | flags if enabled else item.flags() & ~flags)


def _media_devices(parent: QObject) -> Any:
    """A QMediaDevices (camera hot-plug notices); None where QtMultimedia cannot load."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # pyside6-addons or libpulse missing: no webcam, the rest works
        return None
    return QMediaDevices(parent)


def _same_device(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a.id() == b.id())
