from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.lipsync.audio import (
    MODEL_RATE,
    decode_audio,
    load_speech,
    speech_from_samples,
    write_wav,
)


def _tone(seconds: float, rate: int = 44100, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_espeak_speech_loads_and_resamples(speech_wav):
    clip = load_speech(speech_wav)
    assert 1.0 < clip.duration_s < 10.0
    assert clip.original.ndim == 2 and clip.original.shape[0] == 1
    assert abs(len(clip.mono16k) - clip.duration_s * MODEL_RATE) <= 2
    assert clip.warnings == []


@pytest.mark.parametrize(
    ("codec", "suffix"), [("aac", ".m4a"), ("libopus", ".ogg"), ("libmp3lame", ".mp3")]
)
def test_compressed_formats_decode(tmp_path, codec, suffix):
    import av

    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    path = tmp_path / f"tone{suffix}"
    rate = 48000
    samples = _tone(1.5, rate)[None]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = 0
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    clip = load_speech(path)
    assert 1.3 < clip.duration_s < 1.7
    assert clip.rate == rate


def test_stereo_wav_keeps_channels_for_the_sound_track(tmp_path):
    stereo = np.stack([_tone(1.0), _tone(1.0, amp=0.2)])
    clip = load_speech(write_wav(tmp_path / "s.wav", stereo, 44100))
    assert clip.original.shape[0] == 2 and clip.rate == 44100
    np.testing.assert_allclose(clip.original[1, :1000], stereo[1, :1000], atol=1e-3)


@pytest.mark.parametrize(
    ("samples", "match"),
    [
        (np.zeros(44100), "silent"),
        (np.random.default_rng(0).normal(0, 1e-4, 44100), "silent"),
        (_tone(0.3), "at least 0.5 s"),
    ],
)
def test_bad_speech_is_refused(samples, match):
    with pytest.raises(BadInput, match=match):
        speech_from_samples(samples, 44100)


def test_too_long_is_refused(speech_wav):
    with pytest.raises(BadInput, match="limit is 1 s"):
        load_speech(speech_wav, max_seconds=1.0)


def test_clipping_warns_but_works():
    clipped = np.clip(_tone(1.0, amp=3.0), -1.0, 1.0)
    clip = speech_from_samples(clipped, 44100)
    assert any("clipping" in w for w in clip.warnings)


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00garbage" * 50, b"just some text\n" * 20])
def test_corrupt_or_unsupported_file(tmp_path, content):
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(BadInput, match="Cannot read|no sound|no audio"):
        decode_audio(path)


def test_image_file_is_not_audio(tmp_path):
    from PIL import Image

    path = tmp_path / "photo.mp3"
    Image.new("RGB", (8, 8)).save(path, format="PNG")
    with pytest.raises(BadInput):
        load_speech(path)


def test_missing_file(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        load_speech(tmp_path / "nope.wav")
