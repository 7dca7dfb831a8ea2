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

from PySide6.QtCore import QObject, QRect, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage, QScreen

from studio.core.errors import BadInput
from studio.ui.widgets.images import qimage_to_array


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
                    self._frame = qimage_to_array(image)
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
        frame = qimage_to_array(pixmap.toImage())
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

            image = qimage_to_array(image) if isinstance(image, QImage) else to_rgb_array(image)
            self.push(image)
        return image

    def start(self) -> None:
        if self.error is None:
            self.poll()
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
