"""The virtual camera: the enable message per platform, and the real pyvirtualcam call,
which skips cleanly where no virtual camera device exists."""

from __future__ import annotations

import numpy as np
import pytest

from studio.pipelines.live.virtual_camera import (
    VirtualCameraUnavailable,
    enable_instructions,
    fit_frame,
    open_virtual_camera,
)


def test_instructions_name_the_way_to_enable_a_camera_per_platform():
    linux = enable_instructions("linux")
    assert "sudo modprobe v4l2loopback devices=1 exclusive_caps=1" in linux
    assert "pip install" not in linux
    assert "OBS" in enable_instructions("win32") and "OBS" in enable_instructions("darwin")
    missing = enable_instructions("linux", installed=False)
    assert missing.startswith("No virtual camera is available. Install the optional package: ")
    assert "pip install pyvirtualcam" in missing and "modprobe" in missing
    assert ".." not in missing


def test_frames_of_another_size_are_cropped_and_scaled_to_the_camera():
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[:, 50:150] = 200  # the centre square survives the crop to 1:1
    fitted = fit_frame(frame, 32, 32)
    assert fitted.shape == (32, 32, 3) and (fitted == 200).all()


def test_the_real_virtual_camera_takes_frames_or_says_how_to_enable_it():
    try:
        camera = open_virtual_camera(64, 48, fps=20)
    except VirtualCameraUnavailable as exc:
        assert "No virtual camera is available" in exc.user_message
        pytest.skip(f"no virtual camera device here: {exc.detail}")
    try:
        assert (camera.width, camera.height) == (64, 48) and camera.device
        for value in (0, 128, 255):
            camera.send(np.full((48, 64, 3), value, np.uint8))
        camera.send(np.zeros((96, 96, 3), np.uint8))  # another size: fitted, not refused
    finally:
        camera.close()
        camera.close()
