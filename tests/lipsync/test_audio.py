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


def _long_silent_ogg(path, hours: float = 2.0):
    """A small two-hour Opus/OGG (8 kHz silence): one 12 s block encoded once, its packets
    repeated with shifted timestamps (about 1 MB)."""
    import av

    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 8000 * 12), np.int16), layout="mono")
        frame.sample_rate, frame.pts = 8000, 0
        packets = list(stream.encode(frame)) + list(stream.encode(None))
        span = packets[-1].pts + packets[-1].duration - packets[0].pts
        for block in range(int(hours * 3600 / 12)):
            for p in packets:
                q = av.Packet(bytes(p))
                q.pts, q.dts = p.pts + block * span, p.dts + block * span
                q.duration, q.time_base, q.stream = p.duration, p.time_base, stream
                out.mux(q)
    return path


def test_a_long_file_is_refused_from_its_container_before_decoding(tmp_path):
    import tracemalloc

    path = _long_silent_ogg(tmp_path / "two-hours.ogg")
    assert path.stat().st_size < 5_000_000
    tracemalloc.start()
    try:
        with pytest.raises(BadInput, match=r"7\d\d\d s long; the limit is 300 s"):
            load_speech(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000  # decoding it whole would take ~230 MB (fltp) or more


def test_decoding_stops_once_past_the_limit_when_the_container_lies(tmp_path):
    import tracemalloc

    import av

    # Matroska whose timestamps claim 1.2 s while its PCM packets hold 120 s: the declared
    # length cannot be trusted, the running count of decoded samples must stop it.
    rate, path = 8000, tmp_path / "lies.mka"
    tone = (3000 * np.sin(np.arange(rate * 10) / rate * 2 * np.pi * 220)).astype(np.int16)
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone[None], format="s16", layout="mono")
        frame.sample_rate, frame.pts = rate, 0
        packets = list(stream.encode(frame)) + list(stream.encode(None))
        data = b"".join(bytes(p) for p in packets)
        for i in range(12):
            q = av.Packet(data)
            q.pts = q.dts = i * 800  # 0.1 s apart, 10 s of samples each
            q.duration, q.time_base, q.stream = 800, packets[0].time_base, stream
            out.mux(q)
    tracemalloc.start()
    try:
        with pytest.raises(BadInput, match="longer than 5 s"):
            decode_audio(path, max_seconds=5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # all 120 s as float32 would be 3.8 MB
    samples, _ = decode_audio(path)  # without a limit it is all there
    assert samples.shape == (1, rate * 120)
