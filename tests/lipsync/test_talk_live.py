"""Talking live: a recorded WAV played through the recorder's backend seam in chunks drives the
``lipsync.talk`` job; the kept MP4 (read back with PyAV) has picture and sound in sync within
one frame at 25 fps and the speech's length, for a photo and for a clip made here; no face,
nothing said, or a cancel leave a clear message and no half file."""

from __future__ import annotations

import math

import numpy as np
import pytest

av = pytest.importorskip("av")

from studio.core.errors import BadInput, Cancelled  # noqa: E402
from studio.pipelines.lipsync import JOBS  # noqa: E402
from studio.pipelines.lipsync.audio import load_speech  # noqa: E402
from studio.pipelines.lipsync.talk_feed import (  # noqa: E402
    AudioFeed,
    FileInputBackend,
    MicrophoneFeed,
)
from studio.pipelines.lipsync.talk_live import NOTHING_SAID, TalkLiveRequest  # noqa: E402

FPS = 25


def _talk(ctx, avatar, feed, out, **kwargs):
    return JOBS["lipsync.talk"](
        TalkLiveRequest(avatar, feed, out, cache_dir=out.parent / "cache", **kwargs), ctx
    )


def _from_wav(wav, chunk_ms=80):
    """The WAV played as a microphone (not paced: the test need not wait for real time)."""
    feed = AudioFeed()
    mic = MicrophoneFeed(feed, FileInputBackend(wav, realtime=False), chunk_ms=chunk_ms)
    mic.start()
    return feed, mic


def _read_take(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        rate = video.average_rate
        frames = []
        for frame in container.decode(video=0):
            frames.append((float(frame.pts * frame.time_base), frame.to_ndarray(format="rgb24")))
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        chunks, first = [], None
        for frame in container.decode(audio=0):
            first = float(frame.pts * frame.time_base) if first is None else first
            chunks.append(frame.to_ndarray().reshape(-1))
        sound_rate = audio.rate
    return rate, frames, first, np.concatenate(chunks), sound_rate


def _lag_samples(original, recorded):
    """Where the recorded sound lines up with the original (envelopes cross-correlated)."""
    hop = 160
    env = lambda x: np.sqrt(np.convolve(x**2, np.ones(hop) / hop)[::hop])  # noqa: E731
    a, b = env(original), env(recorded[: len(original) + 4000])
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    corr = np.correlate(b, a, mode="full")
    return (int(np.argmax(corr)) - (n - 1)) * hop


def test_wav_in_chunks_through_the_recorder_seam_keeps_a_synced_take(
    lipsync_ctx, avatar_files, speech_wav, tmp_path
):
    feed, mic = _from_wav(speech_wav, chunk_ms=80)
    shown = []
    out = tmp_path / "take.mp4"
    result = _talk(lipsync_ctx, avatar_files[1], feed, out, on_frame=shown.append)
    mic.join()
    speech = load_speech(speech_wav)
    expected = math.floor(speech.duration_s * FPS)  # one frame per whole 40 ms
    assert result.frames == len(shown) == expected and result.output == out
    assert [f.index for f in shown] == list(range(expected))
    assert [f.t for f in shown[:3]] == [0.0, 0.04, 0.08]
    assert shown[0].image.shape == (512, 512, 3) and shown[0].image.dtype == np.uint8
    assert abs(result.audio_s - speech.duration_s) < 1e-3
    assert all(f.latency_ms >= 0 and f.speech_to_mouth_ms >= f.latency_ms for f in shown)
    assert 0 <= result.latency_ms["p50"] <= result.latency_ms["p95"] <= result.latency_ms["max"]
    assert result.render_fps > 0
    assert ("Talking live", expected, 0) in lipsync_ctx.reports
    assert not list(tmp_path.glob("*.part"))

    rate, frames, audio_start, sound, sound_rate = _read_take(out)
    assert rate == FPS and len(frames) == expected
    assert [round(t * FPS) for t, _ in frames] == list(range(expected))  # one per 40 ms
    video_s = expected / FPS
    assert abs(video_s - speech.duration_s) <= 1 / FPS  # the speech's length
    assert abs(audio_start) <= 1 / FPS  # both start at zero
    assert abs(len(sound) / sound_rate - speech.duration_s) <= 1 / FPS
    lag = _lag_samples(speech.mono16k, sound) / sound_rate
    assert abs(lag) <= 1 / FPS, f"sound is {lag * 1000:.0f} ms off the picture"
    # what was shown is what was kept (H.264 at CRF 23 changes pixels a little)
    assert np.abs(frames[5][1].astype(int) - shown[5].image.astype(int)).mean() < 6


def test_int16_chunks_of_any_size_make_one_frame_per_40_ms(lipsync_ctx, avatar_files, tmp_path):
    speech = load_speech_samples(1.3)
    feed = AudioFeed()
    pos = 0
    for size in (592, 3200, 17, 1600, 4800):  # 37 ms, 200 ms, one sample, 100 ms, 300 ms
        feed.push((speech[pos : pos + size] * 32767).astype(np.int16))
        pos += size
    feed.push(speech[pos:][:, None])  # (n, 1) float: a microphone block
    feed.close()
    result = _talk(lipsync_ctx, avatar_files[1], feed, tmp_path / "t.mp4", idle_motion=False)
    assert result.frames == len(speech) // 640 == 32
    assert abs(result.audio_s - 1.3) < 1e-6


def load_speech_samples(seconds):
    """Speech-like audio: voiced harmonics under a 4 Hz syllable envelope, 16 kHz mono."""
    t = np.arange(int(seconds * 16000)) / 16000
    voiced = sum(np.sin(2 * np.pi * f * t) / i for i, f in enumerate((140, 280, 420), 1))
    return (0.2 * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * voiced).astype(np.float32)


def test_a_video_avatar_talks_live_looping_its_clip(lipsync_ctx, speech_wav, tmp_path):
    from tests.lipsync.test_video_avatar_v2 import _clip, _moving, _person

    clip = _clip(tmp_path / "me.mp4", [_moving(_person(), i) for i in range(6)])
    feed, mic = _from_wav(speech_wav, chunk_ms=120)
    out = tmp_path / "clip-take.mp4"
    result = _talk(lipsync_ctx, clip, feed, out, smoothing=0.0)
    mic.join()
    duration = load_speech(speech_wav).duration_s
    assert result.frames == math.floor(duration * FPS) > 12  # more than two loops of 6 frames
    rate, frames, audio_start, sound, sound_rate = _read_take(out)
    assert rate == FPS and len(frames) == result.frames and abs(audio_start) <= 1 / FPS
    assert abs(len(sound) / sound_rate - duration) <= 1 / FPS
    upper = (slice(0, 230), slice(0, 512))  # eyes and above: the clip's own pixels
    diff = lambda a, b: np.abs(a[upper].astype(int) - b[upper].astype(int)).mean()  # noqa: E731
    # forward then backward: output frame 10 shows clip frame 0 again, frame 5 the last one
    assert diff(frames[0][1], frames[10][1]) < 1 < diff(frames[0][1], frames[5][1])


def test_a_photo_without_a_face_is_refused_before_any_file(
    lipsync_ctx, avatar_files, speech_wav, tmp_path
):
    feed, mic = _from_wav(speech_wav)
    out = tmp_path / "none.mp4"
    with pytest.raises(BadInput, match="face"):
        _talk(lipsync_ctx, avatar_files[0], feed, out)
    feed.close()
    mic.stop()
    mic.join()
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_stopped_before_any_speech_keeps_nothing_and_says_so(lipsync_ctx, avatar_files, tmp_path):
    out = tmp_path / "empty.mp4"
    feed = AudioFeed()
    feed.push(np.zeros(300, np.float32))  # less than one frame's worth, then Stop
    feed.close()
    with pytest.raises(BadInput) as caught:
        _talk(lipsync_ctx, avatar_files[1], feed, out)
    assert caught.value.user_message == NOTHING_SAID
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_a_microphone_that_cannot_open_ends_the_take_with_its_message(
    lipsync_ctx, avatar_files, tmp_path
):
    from studio.pipelines.lipsync.recorder import InputDevice

    class Unopenable:
        def devices(self):
            return [InputDevice(1, "Desk mic", 1, 48000)]

        def open(self, device, rate, channels, block):
            raise OSError("Device unavailable")

    feed = AudioFeed()
    mic = MicrophoneFeed(feed, Unopenable())
    mic.start()
    with pytest.raises(BadInput, match="Cannot open the microphone: Device unavailable"):
        _talk(lipsync_ctx, avatar_files[1], feed, tmp_path / "m.mp4")
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob("*.part"))


def test_cancel_keeps_the_take_made_so_far(lipsync_ctx, avatar_files, tmp_path):
    feed = AudioFeed()
    feed.push(load_speech_samples(1.0))  # one second spoken, the speaker still talking
    out = tmp_path / "cut.mp4"
    with pytest.raises(Cancelled):
        _talk(
            lipsync_ctx,
            avatar_files[1],
            feed,
            out,
            on_frame=lambda frame: lipsync_ctx.cancel.cancel(),
        )
    # 1 s of audio: frames 0..22 have their 80 ms lookahead; the rest wait for more speech
    rate, frames, _start, _sound, _rate = _read_take(out)
    assert len(frames) == (16000 - 1920) // 640 + 1 == 23 and rate == FPS


def test_sliding_window_needs_80_ms_after_a_frame(lipsync_ctx):
    from studio.pipelines.lipsync.features import SlidingFeatureWindow
    from studio.pipelines.lipsync.models import load_audio_encoder

    window = SlidingFeatureWindow(load_audio_encoder(lipsync_ctx), context_s=1.0)
    counts = []
    for total in (1919, 1920, 2559, 2560):
        window.append(np.zeros(total - window.total, np.float32))
        counts.append(window.frames_ready())
    assert counts == [0, 1, 1, 2] and window.frames_ready(final=True) == 4
    window.append(load_speech_samples(2.0))
    ready = window.frames_ready()
    tokens = window.tokens(0, ready)
    assert tuple(tokens.shape) == (ready, 50, 384)
    # older audio than one second before the last frame made is forgotten, at a frame edge
    assert window.offset == ready * 640 - 16000 and window.offset % 640 == 0
    with pytest.raises(ValueError, match="older than the kept context"):
        window.tokens(0, 1)
