"""Choosing a Live source: the source list (following camera hot-plugging) and the screen
region dialog (drag on the screen, or type the numbers)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from studio.ui.workspaces.live.region_overlay import RegionOverlay
from studio.ui.workspaces.live.sources import available_cameras


class RegionDialog(QDialog):
    """Pick a screen region: "Drag on screen..." covers the chosen screen with
    :class:`RegionOverlay` (a finished drag fills in the numbers and closes the dialog with
    OK), or type its position and size (kept inside the screen)."""

    def __init__(
        self,
        screen: QScreen | None = None,
        region: QRect | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Screen region")
        self.target_screen = screen or QGuiApplication.primaryScreen()
        self.overlay: RegionOverlay | None = None
        self.screen_box = QComboBox()
        # The items carry the screen's place in screens(), not the QScreen: the screen
        # source keeps using the QScreen after this dialog is gone.
        for number, each in enumerate(QGuiApplication.screens(), 1):
            size = each.geometry().size()
            name = each.name() or f"Screen {number}"
            self.screen_box.addItem(f"{name} ({size.width()} x {size.height()})")
        self.screen_box.setCurrentIndex(max(0, QGuiApplication.screens().index(self.target_screen)))
        self.screen_box.setEnabled(self.screen_box.count() > 1)
        self.screen_box.currentIndexChanged.connect(lambda _i: self._screen_changed())
        self.drag_button = QPushButton("&Drag on screen…")
        self.drag_button.setToolTip("Draw the region with the mouse on the chosen screen")
        self.drag_button.clicked.connect(lambda: self.start_drag())
        self.drag_button.setDefault(True)
        geometry = self.target_screen.geometry()
        start = region or QRect(0, 0, min(512, geometry.width()), min(512, geometry.height()))
        self.left = QSpinBox(value=0)
        self.top = QSpinBox(value=0)
        self.width_box = QSpinBox(value=8)
        self.height_box = QSpinBox(value=8)
        self._fit_to_screen()
        self._show_region(start)
        form = QFormLayout(self)
        form.addRow("&Screen", self.screen_box)
        form.addRow(self.drag_button)
        form.addRow(QLabel("or type the region:"))
        for label, box in (
            ("&Left", self.left),
            ("&Top", self.top),
            ("&Width", self.width_box),
            ("&Height", self.height_box),
        ):
            box.setSuffix(" px")
            form.addRow(label, box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&OK")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setMinimumWidth(320)

    def _fit_to_screen(self) -> None:
        g = self.target_screen.geometry()
        self.left.setMaximum(g.width() - 8)
        self.top.setMaximum(g.height() - 8)
        self.width_box.setRange(8, g.width())
        self.height_box.setRange(8, g.height())

    def _show_region(self, region: QRect) -> None:
        self.left.setValue(region.x())
        self.top.setValue(region.y())
        self.width_box.setValue(region.width())
        self.height_box.setValue(region.height())

    def _screen_changed(self) -> None:
        screens = QGuiApplication.screens()
        self.target_screen = screens[min(self.screen_box.currentIndex(), len(screens) - 1)]
        self._fit_to_screen()

    def start_drag(self) -> None:
        """Cover the chosen screen; the dialog turns see-through (where the system allows)
        so it does not hide what is under it, and comes back if the drag is cancelled."""
        self.overlay = RegionOverlay(self.target_screen)
        self.overlay.chosen.connect(self._dragged)
        self.overlay.cancelled.connect(lambda: self.setWindowOpacity(1.0))
        self.setWindowOpacity(0.0)
        self.overlay.start()

    def _dragged(self, region: QRect) -> None:
        self.setWindowOpacity(1.0)
        self._show_region(region)
        self.accept()

    def region(self) -> QRect:
        """The chosen region, clipped to the screen."""
        g = self.target_screen.geometry()
        x, y = self.left.value(), self.top.value()
        w = min(self.width_box.value(), g.width() - x)
        h = min(self.height_box.value(), g.height() - y)
        return QRect(x, y, max(8, w), max(8, h))


class SourcePicker(QComboBox):
    """The source list: none, Canvas, each camera (or "No camera found"), screen, image or
    video file.

    Items carry ``(kind, camera device or None)``; the list follows camera hot-plugging.
    The cameras are looked for when the list is first shown, not when it is built: asking
    for them (``QMediaDevices``) starts Qt's multimedia backend, too slow for start-up.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas_available = False
        self.media_devices: Any = None
        self._cameras_listed = False
        self.refresh()

    def list_cameras(self) -> None:
        """Look for cameras and follow hot-plugging from now on (once; later calls do nothing)."""
        if self._cameras_listed:
            return
        self._cameras_listed = True
        self.media_devices = _media_devices(self)
        if self.media_devices is not None:
            self.media_devices.videoInputsChanged.connect(self.refresh)
        self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self.list_cameras()
        super().showEvent(event)

    def showPopup(self) -> None:  # noqa: N802
        self.list_cameras()
        super().showPopup()

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
        if not cameras and self._cameras_listed:
            self.addItem("No camera found", ("nocamera", None))
            self._enable(self.count() - 1, False)
        self.addItem("Screen region...", ("screen", None))
        self.addItem("Image file...", ("file", None))
        self.addItem("Video file...", ("video", None))
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
