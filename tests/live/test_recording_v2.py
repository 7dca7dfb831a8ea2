"""LiveRecorder: frames at live timings plus microphone chunks in, an H.264/AAC MP4 out,
checked by reading it back with PyAV."""

from __future__ import annotations

import numpy as np
import pytest

av = pytest.importorskip("av")

from studio.core.errors import BadInput, StudioError  # noqa: E402
from studio.pipelines.live.recording import LiveRecorder  # noqa: E402

FPS, RATE, H, W = 25, 16000, 64, 96
FLASH_FRAME = 30  # the frame that is white; the audio has a click at the same moment


def _frame(i: int) -> np.ndarray:
    value = 255 if i == FLASH_FRAME else 20
    return np.full((H, W, 3), value, np.uint8)


def _record(path, n_frames=50, audio_lead_s=0.2, chunk=320, **kwargs):
    """Frames at 25 fps from t = 10 s on; audio from ``audio_lead_s`` before the first
    frame, in microphone-sized chunks, with a click at the flash frame's time."""
    t0 = 10.0
    total = int((n_frames / FPS + audio_lead_s) * RATE)
    audio = np.zeros(total, np.float32)
    click = int((FLASH_FRAME / FPS + audio_lead_s) * RATE)
    audio[click : click + 400] = 0.8
    # room for every frame: these tests check timing, not the drop policy
    rec = LiveRecorder(path, fps=FPS, audio_rate=RATE, max_pending=n_frames, **kwargs)
    chunks = [(s, audio[s : s + chunk]) for s in range(0, total, chunk)]
    a = 0
    for i in range(n_frames):
        t = t0 + i / FPS
        # audio chunks interleave with frames as they would from a microphone callback
        while a < len(chunks) and t0 - audio_lead_s + chunks[a][0] / RATE <= t:
            rec.add_audio(chunks[a][1], t=t0 - audio_lead_s + chunks[a][0] / RATE)
            a += 1
        rec.add_frame(_frame(i), t=t)
    for start, samples in chunks[a:]:
        rec.add_audio(samples, t=t0 - audio_lead_s + start / RATE)
    return rec.finish()


def test_recording_has_h264_and_aac_with_the_right_rate_length_and_frames(tmp_path):
    out = tmp_path / "take.mp4"
    result = _record(out)
    assert result.path == out and out.is_file()
    assert result.frames == 50 and result.has_audio
    assert not list(tmp_path.glob(".*part")), "the temporary file is gone"
    with av.open(str(out)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert (video.width, video.height) == (W, H)
        frames = list(container.decode(video))
    assert len(frames) == result.frames
    times = [float(f.time) for f in frames]
    assert times[0] == 0.0
    assert result.dropped == 0
    assert np.allclose(np.diff(times), 1 / FPS, atol=0.0011)
    assert len(times) / (times[-1] + 1 / FPS) == pytest.approx(FPS, rel=0.02)
    assert result.duration_s == pytest.approx(2.0, abs=0.05)


def test_audio_and_video_are_in_sync_within_one_frame(tmp_path):
    out = tmp_path / "sync.mp4"
    _record(out, audio_lead_s=0.3)  # audio started before the first frame: cut, not shifted
    with av.open(str(out)) as container:
        flash = next(
            float(f.time)
            for f in container.decode(video=0)
            if f.to_ndarray(format="rgb24").mean() > 128
        )
    with av.open(str(out)) as container:
        samples = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
        start = float(container.streams.audio[0].start_time or 0) * float(
            container.streams.audio[0].time_base
        )
    sound = np.concatenate(samples)
    click = start + int(np.argmax(np.abs(sound) > 0.3)) / rate
    assert flash == pytest.approx(FLASH_FRAME / FPS, abs=0.002)
    assert abs(click - flash) < 1 / FPS


def test_video_only_recording_with_variable_timing(tmp_path):
    out = tmp_path / "vfr.mp4"
    rec = LiveRecorder(out, fps=30, max_pending=10)
    moments = [0.0, 0.03, 0.1, 0.12, 0.4, 0.41]  # a live stream slows down and catches up
    for i, t in enumerate(moments):
        rec.add_frame(np.full((65, 81, 3), i * 40, np.uint8), t=100 + t)  # odd sizes: cropped
    result = rec.finish()
    assert not result.has_audio and result.frames + result.dropped == len(moments)
    with av.open(str(out)) as container:
        assert not container.streams.audio
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (80, 64)
        times = [float(f.time) for f in container.decode(stream)]
    assert result.dropped == 0
    assert times == pytest.approx(moments, abs=0.0011)


def test_unwritable_folder_is_a_clear_error_at_start(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(BadInput, match="Cannot record into the folder"):
        LiveRecorder(blocker / "take.mp4")


def test_wrong_extension_and_bad_frames_are_refused(tmp_path):
    with pytest.raises(BadInput, match=r"\.mp4"):
        LiveRecorder(tmp_path / "take.avi")
    rec = LiveRecorder(tmp_path / "take.mp4")
    with pytest.raises(BadInput, match="H x W x 3"):
        rec.add_frame(np.zeros((10, 10), np.uint8))
    with pytest.raises(BadInput, match="without audio"):
        rec.add_audio(np.zeros(100, np.float32))
    rec.abort()
    assert list(tmp_path.iterdir()) == []


def test_stopping_without_frames_saves_nothing_and_keeps_an_old_file(tmp_path):
    out = tmp_path / "take.mp4"
    out.write_bytes(b"an earlier take")
    rec = LiveRecorder(out, audio_rate=RATE)
    rec.add_audio(np.zeros(1600, np.float32), t=0.0)
    with pytest.raises(StudioError, match="no frames"):
        rec.finish()
    assert out.read_bytes() == b"an earlier take"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.mp4"]
    with pytest.raises(StudioError, match="already been stopped"):
        rec.add_frame(np.zeros((8, 8, 3), np.uint8))


def test_a_small_queue_never_loses_count_and_the_file_stays_valid(tmp_path):
    """With room for one waiting frame the encoder may fall behind (drop-oldest); whatever
    it drops, encoded + dropped equals frames given and the file plays."""
    out = tmp_path / "busy.mp4"
    rec = LiveRecorder(out, max_pending=1)
    for i in range(40):
        rec.add_frame(np.full((128, 128, 3), i * 6, np.uint8), t=i / 25)
    result = rec.finish()
    assert result.frames + result.dropped == 40 and result.frames >= 1
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == result.frames
