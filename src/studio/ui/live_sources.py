"""Frame sources for the Live workspace: a still image, a webcam, a screen region, the Canvas.

A source keeps only the newest input frame (an H x W x 3 uint8 numpy array). Producers (a
camera's video sink, a screen-grab timer, a canvas poll) run on the GUI thread and ``push``;
the ``live.stream`` job calls :meth:`FrameSource.latest` on the device thread. A lock makes
that handoff safe, and a source that stops (camera unplugged, screen removed) ``fail``s: it
emits ``failed(message)`` for the UI and makes the next ``latest()`` raise :class:`BadInput`
with the same message, so the stream ends with it too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap, QScreen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from studio.core.errors import BadInput


def qimage_to_rgb(image: QImage) -> Any:
    """A QImage as an H x W x 3 uint8 numpy array (a copy; rows may be padded in Qt)."""
    import numpy as np

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), np.uint8, count=stride * h)
    return buffer.reshape(h, stride)[:, : w * 3].reshape(h, w, 3).copy()


def rgb_to_qimage(rgb: Any) -> QImage:
    """An RGB array (or a PIL image) as a QImage that owns its pixels."""
    import numpy as np

    array = np.ascontiguousarray(np.asarray(rgb.convert("RGB") if hasattr(rgb, "convert") else rgb))
    h, w = array.shape[:2]
    return QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class FrameSource(QObject):
    """Holds the newest input frame; thread-safe. A still image is just a pushed frame."""

    failed = Signal(str)  # a user-facing message; the source delivers no more frames

    def __init__(self, frame: Any = None, name: str = "Image", parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self._lock = threading.Lock()
        self._frame = frame
        self._version = 0 if frame is None else 1
        self._error: str | None = None

    def push(self, frame: Any) -> None:
        with self._lock:
            self._frame = frame
            self._version += 1

    def latest(self) -> Any:
        """The newest frame (``None`` before the first); raises BadInput once failed."""
        with self._lock:
            if self._error is not None:
                raise BadInput(self._error)
            return self._frame

    @property
    def version(self) -> int:
        """Counts pushes, so a preview redraws only when something new arrived."""
        with self._lock:
            return self._version

    @property
    def error(self) -> str | None:
        return self._error

    def fail(self, message: str) -> None:
        """Stop delivering frames and tell the UI (and the stream) why."""
        with self._lock:
            if self._error is not None:
                return
            self._error = message
        self.stop()
        self.failed.emit(message)

    def start(self) -> None:
        """Begin producing frames (a still image has nothing to start)."""

    def stop(self) -> None:
        """Stop producing frames and release the device; the last frame stays readable."""


class VideoSinkSource(FrameSource):
    """Frames from any ``QVideoSink``: a camera's, or one a test feeds ``QVideoFrame``s into.

    The sink's slot only keeps a reference to the newest ``QVideoFrame``; it is converted to
    RGB when read (``latest()``), so a 30 fps camera costs nothing for frames the stream never
    uses.
    """

    def __init__(self, sink: Any = None, name: str = "Video", parent: QObject | None = None):
        super().__init__(name=name, parent=parent)
        from PySide6.QtMultimedia import QVideoSink

        self.sink = sink if sink is not None else QVideoSink(self)
        self._video_frame: Any = None
        self._converted = 0
        self.sink.videoFrameChanged.connect(self._on_video_frame)

    def _on_video_frame(self, frame: Any) -> None:
        if not frame.isValid():
            return
        with self._lock:
            self._video_frame = frame
            self._version += 1

    def latest(self) -> Any:
        with self._lock:
            if self._error is not None:
                raise BadInput(self._error)
            if self._video_frame is not None and self._converted != self._version:
                image = self._video_frame.toImage()
                if not image.isNull():
                    self._frame = qimage_to_rgb(image)
                self._converted = self._version
            return self._frame


def available_cameras() -> list[Any]:
    """The connected cameras (``QCameraDevice``s); empty when there is none."""
    from PySide6.QtMultimedia import QMediaDevices

    return list(QMediaDevices.videoInputs())


def pick_camera_format(
    formats: list[tuple[int, int, float]], min_side: int = 512, min_fps: float = 24.0
) -> int | None:
    """Index of the smallest (width, height, max fps) mode whose short side is at least
    ``min_side`` at ``min_fps``: frames are resized to about 512 anyway, and a 4K mode only
    costs conversion time. Falls back to the largest mode; ``None`` when there are none."""
    if not formats:
        return None
    fast = [i for i, (_w, _h, fps) in enumerate(formats) if fps >= min_fps] or list(
        range(len(formats))
    )
    big = [i for i in fast if min(formats[i][:2]) >= min_side]
    if big:
        return min(big, key=lambda i: (formats[i][0] * formats[i][1], -formats[i][2]))
    return max(fast, key=lambda i: (formats[i][0] * formats[i][1], formats[i][2]))


class CameraSource(VideoSinkSource):
    """A webcam through QtMultimedia; fails with a clear message if it errors or is unplugged."""

    def __init__(self, device: Any, parent: QObject | None = None) -> None:
        from PySide6.QtMultimedia import QCamera, QMediaCaptureSession, QMediaDevices

        description = device.description() or "camera"
        super().__init__(name=f"Camera: {description}", parent=parent)
        self.device = device
        self.camera = QCamera(device, self)
        self.capture = QMediaCaptureSession(self)
        self.capture.setCamera(self.camera)
        self.capture.setVideoSink(self.sink)
        self.media_devices = QMediaDevices(self)
        self.camera.errorOccurred.connect(self._on_camera_error)
        self.media_devices.videoInputsChanged.connect(self._on_inputs_changed)

    def start(self) -> None:
        if self.error is None:
            formats = list(self.device.videoFormats())
            choice = pick_camera_format(
                [
                    (f.resolution().width(), f.resolution().height(), f.maxFrameRate())
                    for f in formats
                ]
            )
            if choice is not None:
                self.camera.setCameraFormat(formats[choice])
            self.camera.start()

    def stop(self) -> None:
        self.camera.stop()

    def _on_camera_error(self, error: Any, text: str) -> None:
        from PySide6.QtMultimedia import QCamera

        if error == QCamera.Error.NoError:
            return
        self.fail(
            f"The camera '{self.device.description()}' stopped working ({text or error.name}). "
            "Check that no other program uses it, or pick another source."
        )

    def _on_inputs_changed(self) -> None:
        ids = {d.id().data() for d in available_cameras()}
        if self.device.id().data() not in ids:
            self.fail(
                f"The camera '{self.device.description()}' was disconnected. Plug it back in "
                "and choose it again, or pick another source."
            )


class ScreenSource(FrameSource):
    """A screen region, grabbed on a timer on the GUI thread (where grabbing must happen)."""

    def __init__(
        self,
        region: QRect,
        screen: QScreen | None = None,
        interval_ms: int = 66,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(name="Screen region", parent=parent)
        self.screen = screen or QGuiApplication.primaryScreen()
        self.region = QRect(region)
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.grab)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.screenRemoved.connect(self._on_screen_removed)

    def grab(self) -> Any:
        """Grab the region now; returns the frame (``None`` after a failure)."""
        if self.error is not None:
            return None
        r = self.region
        pixmap = self.screen.grabWindow(0, r.x(), r.y(), r.width(), r.height())
        if pixmap.isNull() or pixmap.width() < 8 or pixmap.height() < 8:
            self.fail(
                "The screen region could not be captured (is it on a connected screen, and "
                "at least 8 x 8 pixels?). Pick the region again."
            )
            return None
        frame = qimage_to_rgb(pixmap.toImage())
        self.push(frame)
        return frame

    def start(self) -> None:
        if self.error is None:
            self.grab()
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _on_screen_removed(self, screen: QScreen) -> None:
        if screen is self.screen:
            self.fail("The screen being captured was disconnected. Pick another region.")


class CanvasSource(FrameSource):
    """The Canvas image: ``provider()`` (an RGB array, PIL image or QImage; ``None`` while the
    canvas is empty) is polled on the GUI thread, where the canvas lives; unchanged images are
    skipped later by the stream's similarity filter."""

    def __init__(
        self,
        provider: Callable[[], Any],
        interval_ms: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(name="Canvas", parent=parent)
        self.provider = provider
        self.empty = True
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.poll)

    def poll(self) -> Any:
        """Read the canvas now; returns the image (``None`` when empty or failed)."""
        if self.error is not None:
            return None
        try:
            image = self.provider()
        except Exception as exc:  # noqa: BLE001 - the canvas is another workspace's code
            self.fail(f"The Canvas image could not be read ({exc}). Pick another source.")
            return None
        self.empty = image is None
        if image is not None:
            from studio.pipelines.live.frames import to_rgb_array

            image = qimage_to_rgb(image) if isinstance(image, QImage) else to_rgb_array(image)
            self.push(image)
        return image

    def start(self) -> None:
        if self.error is None:
            self.poll()
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()


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


class ImageView(QLabel):
    """Shows an image scaled to fit, re-scaled when the view is resized."""

    def __init__(self, text: str) -> None:
        super().__init__(text, alignment=Qt.AlignmentFlag.AlignCenter)
        self._pixmap: QPixmap | None = None
        # Ignored: the pixmap must never force the layout wider than the window.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(192, 192)
        self.setStyleSheet("background: #202020; color: #bbbbbb; border-radius: 4px;")

    def show_image(self, image: Any) -> None:
        self._pixmap = QPixmap.fromImage(rgb_to_qimage(image))
        self._rescale()

    def show_text(self, text: str) -> None:
        self._pixmap = None
        self.clear()
        self.setText(text)

    def _rescale(self) -> None:
        if self._pixmap is not None:
            self.setPixmap(
                self._pixmap.scaled(
                    self.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._rescale()


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
