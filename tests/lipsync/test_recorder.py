from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.lipsync.recorder import (
    DeviceLost,
    InputDevice,
    Recorder,
    SoundDeviceBackend,
)


class FakeMic:
    """A scripted input device: ``blocks`` then optionally an OSError (device unplugged)."""

    def __init__(self, n_blocks=1000, lose_after=None, devices=True):
        self.n_blocks, self.lose_after, self.read_count = n_blocks, lose_after, 0
        self._devices = [InputDevice(3, "Fake USB mic", 1, 48000)] if devices else []
        self.opened = self.closed = False

    def devices(self):
        return self._devices

    def open(self, device, rate, channels, block):
        self.opened, self.block, self.channels = True, block, channels

    def read(self):
        if self.lose_after is not None and self.read_count >= self.lose_after:
            raise OSError("device unplugged")
        self.read_count += 1
        t = np.arange(self.block) / 48000 + self.read_count
        return (0.25 * np.sin(2 * np.pi * 200 * t))[:, None].astype(np.float32)

    def close(self):
        self.closed = True


def test_lists_devices_and_meters_until_stopped():
    levels = []
    rec = Recorder(FakeMic(), rate=48000, block_seconds=0.05)

    def on_level(rms, peak):
        levels.append((rms, peak))
        if len(levels) == 10:
            rec.stop()

    rec.on_level = on_level
    assert [d.name for d in rec.devices()] == ["Fake USB mic"]
    result = rec.record(device=3)
    assert result.stopped_by == "stop"
    assert result.samples.shape == (1, 10 * 2400)
    assert result.duration_s == pytest.approx(0.5)
    assert all(0.15 < rms < 0.2 and 0.2 < peak <= 0.25 for rms, peak in levels)
    assert rec.backend.closed


def test_stops_at_the_maximum_length():
    result = Recorder(FakeMic(), rate=48000, max_seconds=0.33).record()
    assert result.stopped_by == "limit"
    assert result.samples.shape[1] == int(0.33 * 48000)


def test_cancel_keeps_what_was_recorded():
    rec = Recorder(FakeMic(), rate=48000, block_seconds=0.05)
    count = {"n": 0}

    def on_level(rms, peak):
        count["n"] += 1
        if count["n"] == 4:
            rec.cancel()

    rec.on_level = on_level
    result = rec.record()
    assert result.stopped_by == "cancel"
    assert result.samples.shape[1] == 4 * 2400


def test_device_disappearing_is_a_clear_error_that_keeps_the_audio():
    mic = FakeMic(lose_after=6)
    with pytest.raises(DeviceLost, match="disappeared") as info:
        Recorder(mic, rate=48000, block_seconds=0.05).record()
    assert info.value.recording.samples.shape[1] == 6 * 2400
    assert mic.closed


def test_no_microphone():
    with pytest.raises(BadInput, match="No microphone"):
        Recorder(FakeMic(devices=False)).record()


def test_unknown_device_index():
    with pytest.raises(BadInput, match="not available"):
        Recorder(FakeMic()).record(device=7)


def test_real_sounddevice_call():
    """The real PortAudio path; skips where this machine has no input device."""
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"sounddevice/PortAudio unavailable: {exc}")
    backend = SoundDeviceBackend()
    devices = backend.devices()
    if not devices:
        pytest.skip("no audio input device on this machine")
    rec = Recorder(backend, rate=devices[0].default_rate, max_seconds=0.2)
    result = rec.record(devices[0].index)
    assert result.stopped_by == "limit"
    assert result.samples.shape[1] == int(0.2 * devices[0].default_rate)


ASOUND = """
pcm.!default {{ type asym playback.pcm "null" capture.pcm "vmic" }}
pcm.vmic {{ type file slave.pcm "null" file "/dev/null" infile "{raw}" format "raw" }}
"""

CHILD = """
import numpy as np
from studio.pipelines.lipsync.recorder import Recorder, SoundDeviceBackend
rec = Recorder(SoundDeviceBackend(), rate=48000, max_seconds=0.5).record(None)
expected = np.fromfile({raw!r}, dtype="<f4")[: rec.samples.shape[1]]
print(rec.stopped_by, rec.samples.shape[1], float(np.abs(rec.samples[0] - expected).max()))
"""


def test_sounddevice_through_a_virtual_alsa_microphone(tmp_path):
    """Real PortAudio/ALSA capture from a file-backed virtual microphone (a subprocess, since
    PortAudio reads the ALSA config once per process)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    if not Path("/usr/share/alsa/alsa.conf").is_file():
        pytest.skip("no ALSA configuration on this machine")
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"sounddevice/PortAudio unavailable: {exc}")
    raw = tmp_path / "mic.raw"
    t = np.arange(48000) / 48000
    (0.4 * np.sin(2 * np.pi * 300 * t)).astype("<f4").tofile(raw)
    conf = tmp_path / "asound.conf"
    conf.write_text(ASOUND.format(raw=raw))
    env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{conf}")
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(raw=str(raw))],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if out.returncode != 0 and "PortAudio" in out.stderr:
        pytest.skip(f"PortAudio could not open the virtual device: {out.stderr[-200:]}")
    assert out.returncode == 0, out.stderr
    stopped_by, frames, error = out.stdout.split()
    assert stopped_by == "limit" and int(frames) == 24000
    assert float(error) < 1e-6  # the samples arrive unchanged
