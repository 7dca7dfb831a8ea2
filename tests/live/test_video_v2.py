"""Video files as a Live source: frames at the clip's rate (offline and real-time, looping),
the clip through the img2img loop into an MP4 (``studio live --video ... --record ...``)."""

from __future__ import annotations

import numpy as np
import pytest

av = pytest.importorskip("av")

from studio.cli import main  # noqa: E402
from studio.core.errors import BadInput  # noqa: E402
from studio.pipelines.live.session import LiveSettings  # noqa: E402
from studio.pipelines.live.video_job import LiveVideoRequest, run_video  # noqa: E402
from studio.pipelines.live.video_source import (  # noqa: E402
    VideoFileSource,
    clip_frames,
    clip_info,
)

FPS, N = 10, 12


def _make_clip(path, n=N, fps=FPS, sound=True):
    """A clip whose frame i is uniformly grey level 20 * i (so frames can be told apart)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "10"}
        audio = container.add_stream("aac", rate=16000, layout="mono") if sound else None
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * i, np.uint8), "rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            tone = np.sin(np.arange(16000 * n // fps) * 0.1).astype(np.float32)[None] * 0.5
            chunk = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
            chunk.sample_rate = 16000
            for packet in audio.encode(chunk):
                container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)
    return path


def _level(rgb):
    return round(float(rgb.mean()) / 20)


@pytest.fixture
def clip(tmp_path):
    return _make_clip(tmp_path / "in.mp4")


def test_clip_frames_come_in_order_at_the_clip_rate_and_loop(clip):
    info = clip_info(clip)
    assert info.fps == pytest.approx(FPS) and info.has_audio
    assert (info.width, info.height) == (64, 48)
    assert info.duration_s == pytest.approx(N / FPS, abs=0.11)
    frames = list(clip_frames(clip))
    assert [_level(rgb) for rgb, _ in frames] == list(range(N))
    assert [t for _, t in frames] == pytest.approx([i / FPS for i in range(N)], abs=1e-3)
    looped = list(clip_frames(clip, loop=True, max_frames=N + 3))
    assert [_level(rgb) for rgb, _ in looped[N:]] == [0, 1, 2]
    assert looped[N][1] == pytest.approx(looped[N - 1][1] + 1 / FPS, abs=0.02)


def test_real_time_source_gives_the_frame_due_now_and_loops(clip):
    now = [0.0]
    source = VideoFileSource(clip, clock=lambda: now[0])
    assert _level(source()) == 0
    now[0] = 0.05
    assert source() is None  # nothing new is due: the loop reuses its input
    now[0] = 0.31
    assert _level(source()) == 3  # a slow loop skips frames instead of falling behind
    now[0] = 1.25  # past the end (1.2 s): the clip starts again
    assert _level(source()) == 0
    assert not source.finished


def test_unreadable_and_missing_clips_are_clear_errors(tmp_path):
    (tmp_path / "notes.mp4").write_text("not a video")
    with pytest.raises(BadInput, match="not a video Studio can read"):
        clip_info(tmp_path / "notes.mp4")
    with pytest.raises(BadInput, match="does not exist"):
        VideoFileSource(tmp_path / "gone.mp4")
    from PIL import Image

    for name in ("still.png", "still.jpg"):
        Image.new("RGB", (32, 32), "red").save(tmp_path / name)
        with pytest.raises(BadInput, match="is a still image, not a video"):
            clip_info(tmp_path / name)


def test_a_clip_through_the_loop_becomes_an_mp4_with_its_sound(
    clip, tmp_path, run_context, live_store
):
    out = tmp_path / "out.mp4"
    settings = LiveSettings(prompt="a cat", width=64, height=64, filter_enabled=False)
    result = run_video(LiveVideoRequest(clip, out, settings, max_frames=6), run_context)
    assert result.frames == 6 and result.rendered == 6 and result.skipped == 0
    assert result.has_audio
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        times = [float(f.time) for f in container.decode(video=0)]
    assert times == pytest.approx([i / FPS for i in range(6)], abs=2e-3)
    assert ("Live video", 6, 6) in run_context.reports


def test_cli_plays_a_clip_into_a_recording(clip, tmp_path, live_store, monkeypatch, capsys):
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(live_store.root))
    out = tmp_path / "cli.mp4"
    args = ["live", "--prompt", "a cat", "--video", str(clip), "--record", str(out)]
    small = ["--width", "64", "--height", "64", "--max-frames", "4"]
    assert main(args + small) == 0
    assert "4 frames" in capsys.readouterr().out
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 4
    assert main(["live", "--prompt", "a", "--video", str(clip)]) == 2
    assert "--video and --record go together" in capsys.readouterr().err
    assert main(args[:-2] + ["--record", str(tmp_path / "x.gif")] + small) == 2
    assert "--record" in capsys.readouterr().err
