"""Video avatars: a tiny clip made here (the synthetic face pasted on moving frames) is
tracked, cached and looped forward-backward; clips without a face, with a cut to another
person, too long or of the wrong type are refused clearly."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

av = pytest.importorskip("av")

from studio.core.errors import BadInput  # noqa: E402
from studio.pipelines.lipsync.video_avatar import (  # noqa: E402
    PrepareVideoAvatarRequest,
    is_video_avatar,
    ping_pong,
    prepare_video_avatar,
)
from tests.fixtures.install import install_copy  # noqa: E402
from tests.fixtures.lipsync_models import avatar_image  # noqa: E402
from tests.lipsync.conftest import ALL  # noqa: E402
from tests.lipsync.recogniser_v2 import build_recogniser  # noqa: E402

SIZE = 256


@pytest.fixture(scope="module")
def pack_with_recogniser(built_models, tmp_path_factory):
    folder = tmp_path_factory.mktemp("antelopev2_rec") / "pack"
    shutil.copytree(built_models["antelopev2"], folder)
    build_recogniser(folder)
    return folder


@pytest.fixture
def ctx(run_context, built_models, pack_with_recogniser):
    for model_id in ALL:
        source = pack_with_recogniser if model_id == "antelopev2" else built_models[model_id]
        install_copy(run_context.store, model_id, source)
    return run_context


def _person(other=False):
    face = avatar_image(1, SIZE).copy()
    if other:  # another person: white eyes and teeth, in front of a dark wall
        face[(face == 30).all(-1)] = 255
        face[(face == (120, 20, 30)).all(-1)] = 255
        face[(face == 120).all(-1)] = 0
    return face


def _moving(face, i):
    """The face moved 2 px right and 1 px down per frame (the background fills the gap)."""
    frame = np.empty_like(face)
    frame[...] = face[0, 0]
    dx, dy = 2 * i, i
    frame[dy:, dx:] = face[: SIZE - dy, : SIZE - dx]
    return frame


def _clip(path, frames, fps=25):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = SIZE, SIZE, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "12"}
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_forward_backward_loop_schedule():
    assert [ping_pong(k, 4) for k in range(10)] == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]
    assert [ping_pong(k, 1) for k in range(3)] == [0, 0, 0]
    assert is_video_avatar("a.MOV") and is_video_avatar("b.webm") and not is_video_avatar("c.png")


def test_clip_is_tracked_per_frame_cached_and_looped(ctx, tmp_path):
    clip = _clip(tmp_path / "me.mp4", [_moving(_person(), i) for i in range(8)])
    request = PrepareVideoAvatarRequest(clip, cache_dir=tmp_path / "cache")
    avatar = prepare_video_avatar(request, ctx)
    assert len(avatar) == 8 and not avatar.from_cache and avatar.identity_checked
    assert avatar.frames.shape == (8, 512, 512, 3) and avatar.frames.dtype == np.uint8
    assert avatar.latents.shape == (8, 8, 32, 32) and avatar.masks.shape == (8, 256, 256)
    assert avatar.eyes.shape == (8, 2, 2)
    boxes = avatar.boxes
    assert ((boxes[:, 2] - boxes[:, 0]) == (boxes[:, 3] - boxes[:, 1])).all()  # square crops
    assert (boxes >= 0).all() and (boxes <= 512).all()
    # one framing for the clip: the face moves within it, so the frames differ
    assert not np.array_equal(avatar.frames[0], avatar.frames[-1])
    assert [avatar.frame_for(k) for k in (0, 7, 8, 14, 15)] == [0, 7, 6, 0, 1]
    assert ("Preparing video avatar", 8, 8) in ctx.reports
    again = prepare_video_avatar(request, ctx)
    assert again.from_cache and again.key == avatar.key
    np.testing.assert_array_equal(again.latents, avatar.latents)
    np.testing.assert_array_equal(again.boxes, avatar.boxes)


def test_clip_without_a_face_is_refused_with_the_moment(ctx, tmp_path):
    frames = [_moving(_person(), i) for i in range(3)] + [np.full((SIZE, SIZE, 3), 120, np.uint8)]
    clip = _clip(tmp_path / "gone.mp4", frames)
    with pytest.raises(BadInput, match=r"No face was found at 0\.1 s"):
        prepare_video_avatar(PrepareVideoAvatarRequest(clip, cache_dir=tmp_path / "c"), ctx)
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())


def test_cut_to_another_person_is_refused(ctx, tmp_path):
    frames = [_moving(_person(), i) for i in range(4)] + [_moving(_person(True), 4)]
    clip = _clip(tmp_path / "cut.mp4", frames)
    with pytest.raises(BadInput, match=r"cuts to another person at 0\.2 s"):
        prepare_video_avatar(PrepareVideoAvatarRequest(clip, cache_dir=tmp_path / "c"), ctx)


def test_long_clips_and_other_files_are_refused(ctx, tmp_path):
    long_clip = _clip(tmp_path / "long.mp4", [np.zeros((16, 16, 3), np.uint8)] * 62, fps=1)
    with pytest.raises(BadInput, match="at most 60 s"):
        prepare_video_avatar(PrepareVideoAvatarRequest(long_clip, cache_dir=tmp_path), ctx)
    gif = tmp_path / "me.gif"
    gif.write_bytes(b"GIF89a")
    with pytest.raises(BadInput, match="MP4, MOV or WebM"):
        prepare_video_avatar(PrepareVideoAvatarRequest(gif), ctx)
    with pytest.raises(BadInput, match="does not exist"):
        prepare_video_avatar(PrepareVideoAvatarRequest(tmp_path / "none.mp4"), ctx)


def test_render_onto_a_video_avatar_loops_the_clip_for_the_speech(ctx, short_speech_wav, tmp_path):
    from studio.pipelines.lipsync.audio import load_speech
    from studio.pipelines.lipsync.render import FPS, RenderRequest, render

    clip = _clip(tmp_path / "loop.mp4", [_moving(_person(), i) for i in range(6)])
    out = tmp_path / "talk.mp4"
    result = render(
        RenderRequest(clip, short_speech_wav, out, cache_dir=tmp_path / "c", smoothing=0.0),
        ctx,
    )
    duration = load_speech(short_speech_wav).duration_s
    assert abs(result.frames / FPS - duration) <= 1 / FPS and result.frames > 12  # > 2 loops
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == result.frames and frames[0].shape == (512, 512, 3)
    # the background follows the clip forward and back: frame 10 shows clip frame 0 again
    upper = (slice(0, 230), slice(0, 512))  # eyes and above: the clip's own pixels
    diff = lambda a, b: np.abs(a[upper].astype(int) - b[upper].astype(int)).mean()  # noqa: E731
    assert diff(frames[0], frames[10]) < 1 < diff(frames[0], frames[5])


def test_cli_takes_a_clip_as_the_avatar_and_explains_a_faceless_one(
    ctx, short_speech_wav, tmp_path, monkeypatch, capsys
):
    from studio.cli import main

    monkeypatch.setenv("STUDIO_MODELS_DIR", str(ctx.store.root))
    blank = _clip(tmp_path / "wall.mov", [np.full((SIZE, SIZE, 3), 120, np.uint8)] * 3)
    args = ["lipsync", "--avatar", str(blank), "--audio", str(short_speech_wav)]
    assert main(args + ["-o", str(tmp_path / "out.mp4"), "-q"]) == 2
    assert "No face was found at 0.0 s of the avatar clip" in capsys.readouterr().err
    assert not (tmp_path / "out.mp4").exists()
