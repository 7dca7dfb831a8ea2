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
    assert out.stat().st_mode & 0o777 == 0o644  # readable by others, like every other output


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
    assert set(JOBS) == {"lipsync.render", "lipsync.prepare_avatar", "lipsync.talk"}


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


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


@pytest.mark.parametrize("audio_rate", [0, -3])
def test_an_encoder_that_cannot_start_leaves_nothing(tmp_path, audio_rate):
    import numpy as np

    from studio.core.errors import StudioError
    from studio.pipelines.lipsync.encode import VideoWriter

    with pytest.raises(StudioError, match="encoder"):
        VideoWriter(
            tmp_path / "v.mp4", audio=np.zeros((1, 1600), np.float32), audio_rate=audio_rate
        )
    assert list(tmp_path.iterdir()) == []


def test_impossible_writer_settings_are_refused_before_any_file(tmp_path):
    from studio.pipelines.lipsync.encode import VideoWriter

    for kwargs in ({"size": 511}, {"size": 0}, {"fps": 0}, {"crf": -5}):
        with pytest.raises(BadInput):
            VideoWriter(tmp_path / "v.mp4", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_a_video_without_frames_is_an_error_and_leaves_nothing(tmp_path):
    from studio.core.errors import StudioError
    from studio.pipelines.lipsync.encode import VideoWriter

    (tmp_path / "v.mp4").write_bytes(b"an earlier render")
    writer = VideoWriter(tmp_path / "v.mp4", size=64)
    with pytest.raises(StudioError, match="No video frames"):
        writer.finish()
    assert (tmp_path / "v.mp4").read_bytes() == b"an earlier render"
    assert _leftovers(tmp_path) == []


def test_an_encoder_failing_mid_stream_cleans_up(tmp_path):
    import numpy as np

    from studio.core.errors import StudioError
    from studio.pipelines.lipsync.encode import VideoWriter

    writer = VideoWriter(tmp_path / "v.mp4", size=64)
    bad = np.zeros((2, 64, 64, 2), np.uint8)  # two channels: not an RGB frame
    writer.write(bad)
    with pytest.raises(StudioError):
        for _ in range(5):  # the error surfaces on a later write or at finish
            writer.write(bad)
        writer.finish()
    assert _leftovers(tmp_path) == [] and not (tmp_path / "v.mp4").exists()


def test_check_video_refuses_a_file_without_picture(tmp_path):
    import av
    import numpy as np

    from studio.core.errors import StudioError
    from studio.pipelines.lipsync.audio import write_wav
    from studio.pipelines.lipsync.encode import check_video

    wav = write_wav(tmp_path / "a.wav", np.zeros(8000, np.float32) + 0.1, 8000)
    with pytest.raises(StudioError, match="no picture"):
        check_video(wav)
    with av.open(str(tmp_path / "a.wav")):
        pass


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"batch_size": -1}, "batch size"),
        ({"batch_size": 0}, "batch size"),
        ({"mouth_scale": float("nan")}, "Mouth"),
        ({"mouth_scale": float("inf")}, "Mouth"),
        ({"smoothing": 0.95}, "Smoothing"),
        ({"bbox_shift": 10**9}, "shift"),
        ({"max_seconds": float("nan")}, "longest"),
        ({"chunk_seconds": 0}, "chunk"),
    ],
)
def test_impossible_settings_are_refused_before_any_work(
    run_context, avatar_files, speech_wav, tmp_path, changes, match
):
    import dataclasses

    req = RenderRequest(avatar_files[1], speech_wav, tmp_path / "o.mp4")
    with pytest.raises(BadInput, match=match):
        render(dataclasses.replace(req, **changes), run_context)  # no model is installed
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("which", ["avatar", "audio", "png"])
def test_the_output_never_replaces_an_input(run_context, avatar_files, speech_wav, tmp_path, which):
    import shutil

    avatar = shutil.copy(avatar_files[1], tmp_path / "face.png")
    audio = shutil.copy(speech_wav, tmp_path / "speech.wav")
    output = {"avatar": avatar, "audio": audio, "png": tmp_path / "out.png"}[which]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(BadInput, match="input|extension"):
        render(RenderRequest(avatar, audio, output), run_context)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_missing_models_are_named_together(run_context, avatar_files, speech_wav, tmp_path):
    from studio.core.errors import ModelMissing

    with pytest.raises(ModelMissing) as info:
        render(RenderRequest(avatar_files[1], speech_wav, tmp_path / "o.mp4"), run_context)
    assert {"musetalk-v15", "sd-vae-ft-mse", "whisper-tiny"} <= set(info.value.model_ids)
