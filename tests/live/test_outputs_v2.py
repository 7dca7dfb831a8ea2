"""LiveOutputs on a real stream (tiny sd-turbo): every frame reaches the recording and the
virtual camera seam; a camera that fails is switched off without stopping the stream."""

from __future__ import annotations

import numpy as np
import pytest

av = pytest.importorskip("av")

from studio.pipelines.live.jobs import LiveStreamRequest, run_stream  # noqa: E402
from studio.pipelines.live.outputs import LiveOutputs  # noqa: E402
from studio.pipelines.live.session import LiveControls, LiveSettings  # noqa: E402


class CollectingCamera:
    """A VirtualCamera that keeps what it is sent (the seam in place of pyvirtualcam)."""

    width, height, device = 64, 64, "collector"

    def __init__(self, fail_after: int | None = None) -> None:
        self.frames: list[np.ndarray] = []
        self.closed = 0
        self.fail_after = fail_after

    def send(self, rgb):
        if self.fail_after is not None and len(self.frames) >= self.fail_after:
            raise OSError("device unplugged")
        self.frames.append(np.asarray(rgb).copy())

    def close(self):
        self.closed += 1


def _stream(ctx, outputs, frames=4):
    image = (np.random.default_rng(0).random((80, 80, 3)) * 255).astype(np.uint8)
    controls = LiveControls(LiveSettings(prompt="a cat", width=64, height=64))
    request = LiveStreamRequest(
        controls, source=lambda: image, max_frames=frames, on_frame=outputs, idle_sleep_s=0
    )
    return run_stream(request, ctx)


def test_stream_frames_reach_the_recording_and_the_camera(run_context, live_store, tmp_path):
    outputs = LiveOutputs()
    camera = CollectingCamera()
    outputs.start_camera(camera)
    outputs.start_recording(tmp_path / "take.mp4", fps=25)
    result = _stream(run_context, outputs)
    recording = outputs.close()
    assert result.frames == 4 and len(camera.frames) == 4 and camera.closed == 1
    assert recording is not None and recording.frames + recording.dropped == 4
    with av.open(str(tmp_path / "take.mp4")) as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == recording.frames and decoded[0].width == 64
    np.testing.assert_array_equal(camera.frames[0], result.last.image)  # skipped frames repeat


def test_a_failing_camera_is_switched_off_and_the_stream_goes_on(run_context, live_store):
    outputs = LiveOutputs()
    camera = CollectingCamera(fail_after=1)
    outputs.start_camera(camera)
    result = _stream(run_context, outputs, frames=3)
    assert result.frames == 3 and len(camera.frames) == 1
    assert outputs.camera is None and camera.closed == 1
    assert "virtual camera stopped" in outputs.camera_error
    assert outputs.close() is None  # nothing was recording


def test_a_frame_arriving_while_the_recording_finishes_is_dropped(tmp_path):
    """The stream thread can hand over a frame after another thread began finishing the
    file: that frame is dropped, the stream goes on and the file is whole."""
    outputs = LiveOutputs()
    recorder = outputs.start_recording(tmp_path / "take.mp4", fps=25)
    frame = np.zeros((64, 64, 3), np.uint8)
    outputs(frame)
    result = recorder.finish()  # as stop_recording does, before it lets go of the recorder
    outputs(frame)  # no error: the late frame is dropped
    assert result.frames == 1
    with av.open(str(tmp_path / "take.mp4")) as container:
        assert len(list(container.decode(video=0))) == 1
