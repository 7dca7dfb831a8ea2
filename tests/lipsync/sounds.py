"""Sound files made in a test: a tone of a known length, written by PyAV in the container the
suffix names (``.wav``: 16-bit PCM; ``.mp4`` / ``.m4a``: AAC)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_tone(path: Path, seconds: float, rate: int = 16000, level: float = 0.3) -> Path:
    """A 220 Hz tone of ``seconds`` at ``rate`` (``level=0``: silence) written to ``path``."""
    import av

    t = np.arange(int(seconds * rate)) / rate
    samples = (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    codec = "pcm_s16le" if path.suffix.lower() == ".wav" else "aac"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path
