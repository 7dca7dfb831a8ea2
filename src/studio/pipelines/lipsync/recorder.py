"""Microphone recording without Qt, behind a backend seam that tests drive without hardware.

A :class:`Recorder` pulls blocks from an :class:`InputBackend` (the real one wraps
sounddevice), meters their level, stops at a maximum length, and keeps what it recorded when
it is cancelled or the device vanishes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from studio.core.errors import BadInput, StudioError


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_rate: int


class DeviceLost(StudioError):
    """The microphone disappeared while recording; what was recorded so far is kept."""


class InputBackend(Protocol):
    def devices(self) -> list[InputDevice]: ...

    def open(self, device: int | None, rate: int, channels: int, block: int) -> None: ...

    def read(self) -> np.ndarray:
        """The next block, (frames, channels) float32; raises OSError when the device is gone.
        A finite source (a file played as a microphone) returns an empty block at its end."""
        ...

    def close(self) -> None: ...


class SoundDeviceBackend:
    """The real microphone through sounddevice (PortAudio)."""

    def __init__(self) -> None:
        self._stream: Any = None
        self._block = 0

    def devices(self) -> list[InputDevice]:
        try:
            import sounddevice as sd

            found = sd.query_devices()
        except (OSError, ImportError):
            return []  # PortAudio missing: same as no microphone
        return [
            InputDevice(i, d["name"], int(d["max_input_channels"]), int(d["default_samplerate"]))
            for i, d in enumerate(found)
            if d["max_input_channels"] > 0
        ]

    def open(self, device: int | None, rate: int, channels: int, block: int) -> None:
        import sounddevice as sd

        self._block = block
        self._stream = sd.InputStream(
            device=device, samplerate=rate, channels=channels, dtype="float32", blocksize=block
        )
        self._stream.start()

    def read(self) -> np.ndarray:
        import sounddevice as sd

        try:
            data, _overflowed = self._stream.read(self._block)
        except sd.PortAudioError as exc:
            raise OSError(str(exc)) from exc
        return np.asarray(data, dtype=np.float32)

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:  # noqa: BLE001 - closing a vanished device may fail; nothing to keep
                pass
            self._stream = None


@dataclass
class Recording:
    samples: np.ndarray  # (channels, n) float32
    rate: int
    stopped_by: str  # "stop", "limit", "cancel", "device-lost", "end" (a file's end)
    error: str = ""

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / float(self.rate)


class Recorder:
    """Records from one input device until :meth:`stop`, :meth:`cancel` or ``max_seconds``.

    ``on_level(rms, peak)`` is called for every block (for a level meter), ``on_block(block)``
    with every block itself, (frames, channels) float32, as it arrives (talking live).
    ``record`` blocks the calling thread; call :meth:`stop` or :meth:`cancel` from another one.
    """

    def __init__(
        self,
        backend: InputBackend | None = None,
        *,
        rate: int = 48000,
        channels: int = 1,
        block_seconds: float = 0.05,
        max_seconds: float = 120.0,
        on_level: Callable[[float, float], None] | None = None,
        on_block: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        self.backend = backend or SoundDeviceBackend()
        self.rate = rate
        self.channels = channels
        self.block = max(1, int(rate * block_seconds))
        self.max_seconds = max_seconds
        self.on_level = on_level
        self.on_block = on_block
        self._stop = threading.Event()
        self._reason = "stop"

    def devices(self) -> list[InputDevice]:
        return self.backend.devices()

    def stop(self) -> None:
        self._reason = "stop"
        self._stop.set()

    def cancel(self) -> None:
        """Stop early; the blocks already recorded are still returned."""
        self._reason = "cancel"
        self._stop.set()

    def record(self, device: int | None = None) -> Recording:
        """Record until stopped; raises :class:`BadInput` when there is no microphone at all."""
        available = self.backend.devices()
        if not available:
            raise BadInput("No microphone was found. Connect one, or load an audio file instead.")
        if device is not None and device not in {d.index for d in available}:
            raise BadInput(f"The selected microphone (#{device}) is not available any more.")
        self._stop.clear()
        self._reason = "stop"
        try:
            self.backend.open(device, self.rate, self.channels, self.block)
        except Exception as exc:  # noqa: BLE001 - PortAudio raises many kinds
            raise BadInput(f"Cannot open the microphone: {exc}", detail=repr(exc)) from exc
        blocks: list[np.ndarray] = []
        limit = int(self.max_seconds * self.rate)
        got, stopped_by, error = 0, "stop", ""
        try:
            while not self._stop.is_set():
                try:
                    block = self.backend.read()
                except OSError as exc:
                    stopped_by, error = "device-lost", str(exc)
                    break
                if not len(block):
                    stopped_by = "end"
                    break
                block = block[: limit - got]
                blocks.append(block)
                if self.on_block is not None:
                    self.on_block(block)
                got += len(block)
                if self.on_level is not None and len(block):
                    self.on_level(float(np.sqrt(np.mean(block**2))), float(np.abs(block).max()))
                if got >= limit:
                    stopped_by = "limit"
                    break
            else:
                stopped_by = self._reason
        finally:
            self.backend.close()
        data = np.concatenate(blocks, axis=0) if blocks else np.zeros((0, self.channels))
        recording = Recording(data.T.astype(np.float32), self.rate, stopped_by, error)
        if stopped_by == "device-lost":
            err = DeviceLost(
                f"The microphone disappeared while recording ({error or 'device lost'}). "
                f"The first {recording.duration_s:.1f} s were kept."
            )
            err.recording = recording  # type: ignore[attr-defined]
            raise err
        return recording
