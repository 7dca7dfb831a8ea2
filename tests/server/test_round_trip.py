"""Every job kind through a real server gives what the local run gives (same request, seed)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.pipelines.jobspec import workspace_jobs
from studio.remote.client import RemoteRunner


def both(server, kind, request, local_ctx, remote_ctx):
    """(local result, remote result) of one request."""
    local = workspace_jobs()[kind](request, local_ctx)
    remote = RemoteRunner(server.client(), kind)(request, remote_ctx)
    return local, remote


def stages(ctx):
    return [r[0] for r in ctx.reports]


@pytest.fixture
def remote_ctx(model_store):
    from tests.server.conftest import recording_context

    return recording_context(model_store)


def square_mask(shape, y0=30, y1=60, x0=40, x1=80):
    mask = np.zeros(shape[:2], np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


def test_canvas_remove_round_trip(server, photo, local_ctx, remote_ctx):
    from studio.pipelines.canvas.remove import RemoveRequest

    request = RemoveRequest(image=photo, mask=square_mask(photo.shape), max_side=64)
    local, remote = both(server, "canvas.remove", request, local_ctx, remote_ctx)
    assert remote.image.dtype == np.uint8 and remote.image.shape == photo.shape
    assert np.array_equal(remote.image, local.image)
    assert np.array_equal(remote.alpha, local.alpha)
    assert remote.window == local.window
    # The same work stages are reported; "Loading ..." only where the model was not warm yet
    # (an earlier test may have warmed the server's cache).
    work = {s for s in stages(local_ctx) if not s.startswith("Loading")}
    assert work and work <= set(stages(remote_ctx))


def test_canvas_segment_round_trip(server, photo, local_ctx, remote_ctx):
    from studio.pipelines.canvas.segment import SegmentRequest

    request = SegmentRequest(image=photo, points=[(60.0, 40.0)], labels=[1], box=(20, 10, 100, 80))
    local, remote = both(server, "canvas.segment", request, local_ctx, remote_ctx)
    assert remote.mask.shape == photo.shape[:2] and remote.mask.dtype == np.uint8
    assert np.array_equal(remote.mask, local.mask)
    assert remote.score == pytest.approx(local.score)


def test_canvas_fill_round_trip_with_previews(server, photo, local_ctx, remote_ctx):
    from studio.pipelines.canvas.fill import FillRequest

    request = FillRequest(
        image=photo,
        mask=square_mask(photo.shape),
        prompt="a red ball",
        steps=2,
        seed=7,
        variations=2,
        work_side=64,
    )
    local, remote = both(server, "canvas.fill", request, local_ctx, remote_ctx)
    assert remote.seeds == local.seeds == [7, 8]
    assert len(remote.images) == 2
    for mine, theirs in zip(local.images, remote.images, strict=True):
        assert np.array_equal(mine, theirs)
    assert remote.window == local.window and remote.settings == local.settings
    local_previews = [r for r in local_ctx.reports if r[3] is not None]
    remote_previews = [r for r in remote_ctx.reports if r[3] is not None]
    if local_previews:  # the fill reports step previews: they arrive as images
        assert remote_previews and remote_previews[-1][3].size == local_previews[-1][3].size


def test_live_frame_round_trip(server, photo, local_ctx, remote_ctx):
    from studio.pipelines.live.jobs import LiveFrameRequest
    from studio.pipelines.live.session import LiveSettings

    settings = LiveSettings(prompt="a watercolour", seed=3, width=64, height=64, optimise="eager")
    local, remote = both(
        server, "live.frame", LiveFrameRequest(settings, photo), local_ctx, remote_ctx
    )
    assert remote.image.shape == (64, 64, 3)
    assert np.array_equal(remote.image, local.image)
    assert (remote.mode, remote.prompt, remote.skipped) == ("img2img", "a watercolour", False)


def test_lipsync_render_lands_where_the_local_run_puts_it(
    server, avatar_file, speech, local_ctx, remote_ctx, tmp_path
):
    import av

    from studio.pipelines.lipsync.render import RenderRequest

    def request(name):
        return RenderRequest(avatar_file, speech, tmp_path / name, cache_dir=tmp_path / "cache")

    local = workspace_jobs()["lipsync.render"](request("local.mp4"), local_ctx)
    remote = RemoteRunner(server.client(), "lipsync.render")(request("remote.mp4"), remote_ctx)
    assert remote.output == tmp_path / "remote.mp4" and remote.output.is_file()
    assert not list(tmp_path.glob("*.part"))
    assert (remote.frames, remote.duration_s) == (local.frames, local.duration_s)
    with av.open(str(remote.output)) as mine, av.open(str(local.output)) as theirs:
        a = [f.to_ndarray(format="rgb24") for f in mine.decode(video=0)]
        b = [f.to_ndarray(format="rgb24") for f in theirs.decode(video=0)]
    assert len(a) == len(b) == local.frames
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_headshots_pack_round_trip_writes_the_pack_folder(
    headshots_server, headshots_store, tmp_path
):
    from skimage import data
    from tests.server.conftest import recording_context

    from studio.pipelines.headshots.pack import PackRequest
    from studio.pipelines.headshots.packs import load_pack

    selfie = tmp_path / "selfie.jpg"
    from PIL import Image

    Image.fromarray(data.astronaut()).save(selfie, quality=95)

    def request(folder):
        return PackRequest(
            selfies=[selfie],
            count=3,
            size=64,
            batch_size=2,
            refine_top_k=1,
            upscale=False,
            overrides={"steps": 2, "refine_steps": 2, "refine_strength": 0.5},
            folder=tmp_path / folder,
            seed=11,
        )

    local = workspace_jobs()["headshots.pack"](request("local"), recording_context(headshots_store))
    remote = RemoteRunner(headshots_server.client(), "headshots.pack")(
        request("remote"), recording_context(headshots_store)
    )
    assert remote.folder == tmp_path / "remote" and remote.pack.folder == remote.folder
    assert remote.ranked == local.ranked
    saved = load_pack(remote.folder)
    assert [im.seed for im in saved.images] == [im.seed for im in local.pack.images]
    for im in remote.pack.images:
        mine = np.asarray(Image.open(remote.folder / im.draft))
        theirs = np.asarray(Image.open(local.folder / im.draft))
        assert np.array_equal(mine, theirs)
