from __future__ import annotations

import pytest

from studio.core.errors import BadInput, Cancelled
from studio.pipelines.lipsync import JOBS
from studio.pipelines.lipsync.audio import load_speech
from studio.pipelines.lipsync.render import FPS, RenderRequest, render


def _streams(path):
    import av

    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        return {
            "v_codec": v.codec_context.name,
            "a_codec": a.codec_context.name,
            "size": (v.width, v.height),
            "fps": float(v.average_rate),
            "frames": sum(1 for _ in c.decode(video=0)),
        }


def test_end_to_end_mp4(lipsync_ctx, avatar_files, speech_wav, tmp_path):
    out = tmp_path / "out" / "talk.mp4"
    result = JOBS["lipsync.render"](
        RenderRequest(avatar_files[1], speech_wav, out, cache_dir=tmp_path / "c"), lipsync_ctx
    )
    assert out.is_file() and result.output == out
    info = _streams(out)
    assert info["v_codec"] == "h264" and info["a_codec"] == "aac"
    assert info["size"] == (512, 512) and info["fps"] == FPS
    duration = load_speech(speech_wav).duration_s
    assert abs(info["frames"] / FPS - duration) <= 1 / FPS
    assert info["frames"] == result.frames
    stages = [r for r in lipsync_ctx.reports if r[0] == "Rendering"]
    assert stages[0] == ("Rendering", 0, result.frames) and stages[-1][1] == result.frames
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".part")]


def test_cancel_leaves_no_file_and_keeps_an_older_one(
    lipsync_ctx, avatar_files, speech_wav, tmp_path
):
    out = tmp_path / "talk.mp4"
    out.write_bytes(b"an earlier render")

    def progress(stage, done, total, preview=None):
        if stage == "Rendering" and done > 0:
            lipsync_ctx.cancel.cancel()

    lipsync_ctx.progress = progress
    req = RenderRequest(
        avatar_files[1],
        speech_wav,
        out,
        chunk_seconds=0.4,
        idle_motion=False,
        cache_dir=tmp_path / "c",
    )
    with pytest.raises(Cancelled):
        render(req, lipsync_ctx)
    assert out.read_bytes() == b"an earlier render"
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_settings_are_checked(lipsync_ctx, avatar_files, speech_wav, tmp_path):
    with pytest.raises(BadInput, match="Smoothing"):
        render(
            RenderRequest(avatar_files[1], speech_wav, tmp_path / "o.mp4", smoothing=1.5),
            lipsync_ctx,
        )


def test_no_face_fails_before_rendering(lipsync_ctx, avatar_files, speech_wav, tmp_path):
    with pytest.raises(BadInput, match="No face"):
        render(
            RenderRequest(
                avatar_files[0], speech_wav, tmp_path / "o.mp4", cache_dir=tmp_path / "c"
            ),
            lipsync_ctx,
        )
    assert not (tmp_path / "o.mp4").exists()


def test_feature_windows_follow_musetalk(lipsync_ctx, speech_wav):
    import torch

    from studio.pipelines.lipsync.features import AudioFeatureStream
    from studio.pipelines.lipsync.models import load_audio_encoder

    clip = load_speech(speech_wav)
    stream = AudioFeatureStream(load_audio_encoder(lipsync_ctx), clip.mono16k)
    tokens = stream.window(0, 5)
    assert tokens.shape == (5, 50, 384)
    assert torch.all(tokens[0, :20] == 0)  # 4 steps x 5 layers of zero padding before frame 0
    # a frame's window is the same whichever chunk asks for it
    assert torch.equal(stream.window(3, 4)[0], tokens[3])


def test_chunks_are_at_most_three_seconds_and_the_first_is_short():
    from studio.pipelines.lipsync.render import _chunks

    bounds = _chunks(400, 75)
    assert bounds[0] == (0, 25)
    assert all(e - s <= 75 for s, e in bounds)
    assert bounds[-1][1] == 400 and all(
        a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False)
    )


def test_jobs_are_registered():
    assert set(JOBS) == {"lipsync.render", "lipsync.prepare_avatar"}


def _photo512():
    import cv2
    from skimage.data import astronaut

    return cv2.resize(astronaut(), (512, 512), interpolation=cv2.INTER_AREA)


def test_device_yuv420_matches_ffmpeg_conversion():
    """The GPU-side colour conversion gives what swscale gave for the same RGB frame."""
    import av
    import numpy as np
    import torch

    from studio.pipelines.lipsync.render import rgb_to_yuv420

    img = _photo512()
    ours = rgb_to_yuv420(torch.from_numpy(img).permute(2, 0, 1).float()[None] / 255)[0]
    ref = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
    diff = np.abs(ours.numpy().astype(int) - ref.to_ndarray().astype(int))
    assert ours.shape == (768, 512) and ours.dtype == torch.uint8
    assert diff[:512].max() <= 1  # luma: rounding only
    assert diff[512:].mean() < 0.5  # chroma: 2x2 averaging vs swscale's filter, same colours


def test_yuv_frames_round_trip_through_the_writer(tmp_path):
    import av
    import numpy as np
    import torch

    from studio.pipelines.lipsync.encode import VideoWriter
    from studio.pipelines.lipsync.render import rgb_to_yuv420

    img = _photo512()
    frames = torch.from_numpy(np.stack([img, img[:, ::-1].copy()])).permute(0, 3, 1, 2) / 255
    writer = VideoWriter(tmp_path / "v.mp4", crf=10)
    writer.write_yuv420(rgb_to_yuv420(frames))
    writer.finish()
    with av.open(str(tmp_path / "v.mp4")) as c:
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(decoded) == 2
    for got, want in zip(decoded, (img, img[:, ::-1]), strict=True):
        mse = np.mean((got.astype(float) - want.astype(float)) ** 2)
        assert 10 * np.log10(255**2 / mse) > 30  # PSNR: the right picture, right colours
