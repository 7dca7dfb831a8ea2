"""Send live frames to a virtual camera that video-call and streaming apps can pick (Qt-free).

:class:`VirtualCamera` is the seam the live loop talks to; :func:`open_virtual_camera` opens
the real one through pyvirtualcam (v4l2loopback on Linux, OBS's virtual camera on Windows and
macOS). When pyvirtualcam is not installed or no virtual camera device exists, the
:class:`VirtualCameraUnavailable` error says how to enable one on this system
(:func:`enable_instructions`), instead of a backend traceback.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

import numpy as np

from studio.core.errors import BadInput, StudioError

INSTALL_HINT = "Install the optional package: pip install pyvirtualcam"


class VirtualCameraUnavailable(StudioError):
    """No virtual camera could be opened; the message says how to enable one."""


class VirtualCamera(Protocol):
    """Where live frames go when "Send to virtual camera" is on."""

    width: int
    height: int
    device: str

    def send(self, rgb: Any) -> None:
        """Show one H x W x 3 uint8 frame (scaled to the camera's size when it differs)."""

    def close(self) -> None:
        """Release the device (safe to call more than once)."""


def enable_instructions(platform: str | None = None, *, installed: bool = True) -> str:
    """How to get a virtual camera on ``platform`` (``sys.platform`` values)."""
    platform = platform or sys.platform
    steps = [] if installed else [INSTALL_HINT + "."]
    if platform.startswith("linux"):
        steps.append(
            "Load the v4l2loopback kernel module (package v4l2loopback-dkms): "
            "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=Studio"
        )
    elif platform == "darwin":
        steps.append(
            "Install OBS Studio 30 or later and start its virtual camera once "
            "(Start Virtual Camera), so macOS registers it; then quit OBS"
        )
    else:  # Windows
        steps.append(
            "Install OBS Studio 26 or later; its virtual camera is then available to Studio "
            "(start it once from OBS if other apps do not list it)"
        )
    return "No virtual camera is available. " + " ".join(f"{s}." for s in steps).replace("..", ".")


class PyVirtualCam:
    """A :class:`VirtualCamera` backed by ``pyvirtualcam.Camera`` (RGB frames)."""

    def __init__(self, width: int, height: int, fps: float = 25, device: str | None = None):
        if not (isinstance(width, int) and isinstance(height, int)) or min(width, height) < 16:
            raise BadInput(
                f"A virtual camera needs a size of at least 16 x 16 (got {width}x{height})."
            )
        try:
            import pyvirtualcam
        except ImportError as exc:
            raise VirtualCameraUnavailable(
                enable_instructions(installed=False), detail=repr(exc)
            ) from None
        try:
            self._camera = pyvirtualcam.Camera(
                width=width,
                height=height,
                fps=fps,
                fmt=pyvirtualcam.PixelFormat.RGB,
                device=device,
            )
        except Exception as exc:  # noqa: BLE001 - every backend raises its own "no device" error
            raise VirtualCameraUnavailable(enable_instructions(), detail=repr(exc)) from None
        self.width, self.height = width, height
        self.device = str(self._camera.device)

    def send(self, rgb: Any) -> None:
        frame = np.asarray(rgb)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise BadInput(f"A virtual camera frame must be H x W x 3; got {frame.shape}.")
        if frame.shape[:2] != (self.height, self.width):
            frame = fit_frame(frame, self.height, self.width)
        self._camera.send(np.ascontiguousarray(frame, dtype=np.uint8))

    def close(self) -> None:
        camera, self._camera = getattr(self, "_camera", None), None
        if camera is not None:
            camera.close()


def fit_frame(rgb: Any, height: int, width: int) -> Any:
    """``rgb`` centre-cropped to the camera's aspect ratio and resized (nearest, cheap)."""
    from studio.pipelines.live.frames import centre_crop

    cropped = centre_crop(rgb, height, width)
    h, w = cropped.shape[:2]
    rows = (np.arange(height) * h // height).clip(0, h - 1)
    cols = (np.arange(width) * w // width).clip(0, w - 1)
    return cropped[rows][:, cols]


def open_virtual_camera(
    width: int, height: int, fps: float = 25, device: str | None = None
) -> VirtualCamera:
    """The system's virtual camera at ``width`` x ``height``, or
    :class:`VirtualCameraUnavailable` saying how to enable one."""
    return PyVirtualCam(width, height, fps, device)
