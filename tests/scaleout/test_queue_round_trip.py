"""Jobs of every workspace through the queue (gateway -> Redis -> a Celery worker) give what
the same request gives in-process, with the same seed."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from studio.pipelines.jobspec import workspace_jobs
from studio.remote.client import RemoteRunner
from tests.scaleout.conftest import recording_context

# The first test of a session also builds the models and starts the cluster (minutes on a
# busy CPU); a batch of 20 packs runs for minutes too.
pytestmark = pytest.mark.timeout(1500)


def remote(cluster, kind, request, store):
    ctx = recording_context(store)
    return RemoteRunner(cluster.client(), kind)(request, ctx), ctx


def test_canvas_segment_through_the_queue(workers_up, main_store, photo):
    from studio.pipelines.canvas.segment import SegmentRequest

    request = SegmentRequest(image=photo, points=[(60.0, 40.0)], labels=[1], box=(20, 10, 100, 80))
    local = workspace_jobs()["canvas.segment"](request, recording_context(main_store))
    queued, ctx = remote(workers_up, "canvas.segment", request, main_store)
    assert queued.mask.shape == photo.shape[:2] and queued.mask.dtype == np.uint8
    assert np.array_equal(queued.mask, local.mask)
    assert queued.score == pytest.approx(local.score)


def test_live_frame_through_the_queue(workers_up, main_store, photo):
    from studio.pipelines.live.jobs import LiveFrameRequest
    from studio.pipelines.live.session import LiveSettings

    settings = LiveSettings(prompt="a watercolour", seed=3, width=64, height=64, optimise="eager")
    request = LiveFrameRequest(settings, photo)
    local = workspace_jobs()["live.frame"](request, recording_context(main_store))
    queued, _ = remote(workers_up, "live.frame", request, main_store)
    assert queued.image.shape == (64, 64, 3)
    assert np.array_equal(queued.image, local.image)


def test_headshots_pack_through_the_queue(workers_up, main_store, selfie, tmp_path):
    from PIL import Image

    from studio.pipelines.headshots.pack import PackRequest
    from studio.pipelines.headshots.packs import load_pack

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

    local = workspace_jobs()["headshots.pack"](request("local"), recording_context(main_store))
    queued, ctx = remote(workers_up, "headshots.pack", request("queued"), main_store)
    assert queued.folder == tmp_path / "queued"
    assert queued.ranked == local.ranked
    saved = load_pack(queued.folder)
    assert [im.seed for im in saved.images] == [im.seed for im in local.pack.images]
    for im in queued.pack.images:
        mine = np.asarray(Image.open(queued.folder / im.draft))
        theirs = np.asarray(Image.open(local.folder / im.draft))
        assert np.array_equal(mine, theirs)
    assert any(r[3] is not None for r in ctx.reports), "draft previews came through the stream"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_lipsync_render_on_the_lipsync_queue(lipsync_worker, lipsync_store, tmp_path):
    import av
    from PIL import Image

    from studio.pipelines.lipsync.render import RenderRequest
    from tests.fixtures.lipsync_models import avatar_image, espeak_wav

    avatar = tmp_path / "face.png"
    Image.fromarray(avatar_image(1)).save(avatar)
    speech = espeak_wav(tmp_path / "hello.wav", "Hello there.")

    def request(name):
        return RenderRequest(avatar, speech, tmp_path / name, cache_dir=tmp_path / "cache")

    local = workspace_jobs()["lipsync.render"](
        request("local.mp4"), recording_context(lipsync_store)
    )
    queued, _ = remote(lipsync_worker, "lipsync.render", request("queued.mp4"), lipsync_store)
    assert queued.output == tmp_path / "queued.mp4" and queued.output.is_file()
    assert (queued.frames, queued.duration_s) == (local.frames, local.duration_s)
    with av.open(str(queued.output)) as mine, av.open(str(local.output)) as theirs:
        a = [f.to_ndarray(format="rgb24") for f in mine.decode(video=0)]
        b = [f.to_ndarray(format="rgb24") for f in theirs.decode(video=0)]
    assert len(a) == len(b) == local.frames
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    summary = lipsync_worker.client().job(queued_job_id(lipsync_worker, "lipsync.render"))
    assert summary["worker"] == "w3"  # only w3 serves the lipsync queue


def queued_job_id(cluster, kind):
    """The newest job of ``kind`` (by its record in Redis)."""
    redis = cluster.redis()
    newest = None
    for key in redis.scan_iter("studio:job:*"):
        record = redis.hgetall(key)
        if record.get(b"kind") == kind.encode():
            created = float(record[b"created"])
            if newest is None or created > newest[0]:
                newest = (created, key.decode().rpartition(":")[2])
    assert newest is not None
    return newest[1]
