"""Speech for lipsync: decode any WAV/MP3/M4A/OGG with PyAV, check it, resample for the model.

The model hears 16 kHz mono; the video's sound track keeps the original samples and rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput

MODEL_RATE = 16000
MIN_SECONDS = 0.5
DEFAULT_MAX_SECONDS = 300.0
# Below these the clip is silence or room noise: the mouth would not move.
SILENT_PEAK = 0.01
SILENT_RMS = 0.002
CLIP_LEVEL = 0.999
CLIP_FRACTION = 0.001  # more than 0.1 % of samples at full scale sounds distorted


@dataclass
class SpeechClip:
    """Decoded speech: ``original`` (channels, n) float32 at ``rate``; ``mono16k`` for the model."""

    original: np.ndarray
    rate: int
    mono16k: np.ndarray
    warnings: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.original.shape[1] / float(self.rate)


def load_speech(path: Path, *, max_seconds: float = DEFAULT_MAX_SECONDS) -> SpeechClip:
    """Decode, check and resample a speech file; :class:`BadInput` says what is wrong with it."""
    samples, rate = decode_audio(Path(path), max_seconds=max_seconds)
    return speech_from_samples(samples, rate, max_seconds=max_seconds, name=Path(path).name)


def speech_from_samples(
    samples: np.ndarray, rate: int, *, max_seconds: float = DEFAULT_MAX_SECONDS, name: str = ""
) -> SpeechClip:
    """Check already decoded samples ((channels, n) or (n,) float in [-1, 1])."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[None, :]
    label = f"'{name}' " if name else ""
    duration = samples.shape[1] / float(rate) if rate > 0 else 0.0
    if duration < MIN_SECONDS:
        raise BadInput(
            f"The audio {label}is {duration:.2f} s long; it must be at least {MIN_SECONDS} s."
        )
    if duration > max_seconds:
        raise BadInput(
            f"The audio {label}is {duration:.0f} s long; the limit is {max_seconds:.0f} s. "
            "Trim it or split it into parts."
        )
    mono = samples.mean(axis=0)
    peak = float(np.abs(mono).max()) if mono.size else 0.0
    rms = float(np.sqrt(np.mean(mono.astype(np.float64) ** 2))) if mono.size else 0.0
    if peak < SILENT_PEAK or rms < SILENT_RMS:
        raise BadInput(
            f"The audio {label}is silent or nearly silent (peak {20 * np.log10(peak + 1e-12):.0f} "
            "dBFS). Check the microphone level or pick another file."
        )
    warnings = []
    clipped = float(np.mean(np.abs(samples) >= CLIP_LEVEL))
    if clipped > CLIP_FRACTION:
        warnings.append(
            f"The audio is clipping ({clipped * 100:.1f}% of samples at full scale); "
            "it may sound distorted. Record with a lower input level."
        )
    return SpeechClip(samples, rate, resample(mono, rate, MODEL_RATE), warnings)


def _too_long(name: str, seconds: float | None, max_seconds: float) -> BadInput:
    length = f"{seconds:.0f} s long" if seconds is not None else f"longer than {max_seconds:.0f} s"
    return BadInput(
        f"The audio '{name}' is {length}; the limit is {max_seconds:.0f} s. "
        "Trim it or split it into parts."
    )


def container_seconds(container: Any, stream: Any) -> float | None:
    """The length the file declares (stream, else container), without decoding; None if unknown."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        import av

        return container.duration / av.time_base
    return None


def decode_audio(path: Path, *, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """All samples of the first audio stream as (channels, n) float32, and the sample rate.

    With ``max_seconds`` a longer file is refused from the length its container declares,
    before decoding; as a declared length can be missing or wrong, decoding also stops as
    soon as more than ``max_seconds`` of samples have arrived. Memory stays bounded either way.
    """
    import av

    if not path.is_file():
        raise BadInput(f"The audio file '{path}' does not exist.")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise BadInput(f"'{path.name}' has no sound track.")
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or stream.rate
            layout = stream.codec_context.layout.name if stream.codec_context.layout else "mono"
            # Always convert to planar float: every source format arrives the same way.
            if max_seconds is not None:
                declared = container_seconds(container, stream)
                if declared is not None and declared > max_seconds + 1.0:
                    raise _too_long(path.name, declared, max_seconds)
                limit = int((max_seconds + 1.0) * rate)
            converter = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            chunks = []
            count = 0
            for frame in container.decode(stream):
                for out in converter.resample(frame):
                    chunks.append(out.to_ndarray().astype(np.float32))
                    count += chunks[-1].shape[1]
                if max_seconds is not None and count > limit:
                    raise _too_long(path.name, None, max_seconds)
            for out in converter.resample(None):
                chunks.append(out.to_ndarray().astype(np.float32))
    except BadInput:
        raise
    except (av.error.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"Cannot read '{path.name}': it is not a supported audio file (WAV, MP3, M4A, OGG) "
            "or it is damaged.",
            detail=repr(exc),
        ) from exc
    if not chunks:
        raise BadInput(f"'{path.name}' contains no audio samples.")
    return np.concatenate(chunks, axis=1), int(rate)


def resample(mono: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited resampling (polyphase) of a mono signal."""
    if rate == target:
        return mono.astype(np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(rate), int(target))
    return resample_poly(mono, target // g, rate // g).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Save (channels, n) or (n,) float samples as a 16-bit WAV (recordings, test fixtures)."""
    import wave

    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[None, :]
    pcm = (np.clip(samples.T, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(samples.shape[0])
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    return path
