from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput, ModelMissing
from studio.pipelines.context import RunContext
from studio.pipelines.lipsync.avatar import PrepareAvatarRequest, prepare_avatar
from studio.services.model_cache import ModelCache


def test_prepares_and_caches_across_restarts(lipsync_ctx, avatar_files, tmp_path):
    cache = tmp_path / "avatars"
    req = PrepareAvatarRequest(avatar_files[1], cache_dir=cache)
    first = prepare_avatar(req, lipsync_ctx)
    assert not first.from_cache
    assert first.frame.shape == (512, 512, 3) and first.frame.dtype == np.uint8
    assert first.latents.shape == (8, 32, 32)
    assert first.mask.shape == (256, 256) and 0 <= first.mask.min() and first.mask.max() <= 1
    x0, y0, x1, y1 = first.box
    assert x1 - x0 == y1 - y0 and 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512
    # the disc (the "face") is centred in the frame
    assert abs((x0 + x1) / 2 - 256) < 40
    assert first.mask[:128].max() == 0.0  # nothing above the mouth half is replaced
    # a "restart": a fresh context and cache, same store and image -> read from disk
    fresh = RunContext(store=lipsync_ctx.store, cache=ModelCache(), device="cpu")
    again = prepare_avatar(req, fresh)
    assert again.from_cache and again.key == first.key
    np.testing.assert_array_equal(again.latents, first.latents)
    assert again.box == first.box
    # a different setting is a different cache entry
    shifted = prepare_avatar(PrepareAvatarRequest(avatar_files[1], 12, cache), lipsync_ctx)
    assert not shifted.from_cache and shifted.box[1] == first.box[1] + 12


def test_geometric_mask_without_face_parser(lipsync_ctx, avatar_files, tmp_path):
    lipsync_ctx.store.delete("face-parse-bisenet")
    avatar = prepare_avatar(PrepareAvatarRequest(avatar_files[1], cache_dir=tmp_path), lipsync_ctx)
    assert avatar.mask_source == "geometric"
    assert avatar.mask[200, 128] > 0.9 and avatar.mask[100, 128] == 0.0


@pytest.mark.parametrize(("faces", "match"), [(0, "No face"), (2, "2 faces")])
def test_no_face_or_several_faces(lipsync_ctx, avatar_files, tmp_path, faces, match):
    with pytest.raises(BadInput, match=match):
        prepare_avatar(PrepareAvatarRequest(avatar_files[faces], cache_dir=tmp_path), lipsync_ctx)
    assert not any(p.name.startswith(".tmp") for p in tmp_path.iterdir())


def test_not_an_image(lipsync_ctx, tmp_path):
    path = tmp_path / "face.jpg"
    path.write_bytes(b"not an image at all")
    with pytest.raises(BadInput, match="not an image"):
        prepare_avatar(PrepareAvatarRequest(path, cache_dir=tmp_path), lipsync_ctx)


def test_missing_detector_names_the_model(run_context, avatar_files, tmp_path):
    with pytest.raises(ModelMissing, match="antelopev2"):
        prepare_avatar(PrepareAvatarRequest(avatar_files[1], cache_dir=tmp_path), run_context)


def test_bisenet_loads_strictly_in_published_layout(built_models):
    import torch

    from studio.pipelines.lipsync.bisenet import bisenet_from_state_dict

    state = torch.load(built_models["face-parse-bisenet"] / "79999_iter.pth", weights_only=True)
    assert "cp.resnet.layer1.0.conv1.weight" in state and "ffm.convblk.conv.weight" in state
    net = bisenet_from_state_dict(state)
    assert net(torch.zeros(1, 3, 64, 64)).shape == (1, 19, 64, 64)


def test_unwritable_cache_does_not_fail_the_preparation(lipsync_ctx, avatar_files, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file where the cache folder should be")
    request = PrepareAvatarRequest(avatar_files[1], cache_dir=blocker / "avatars")
    avatar = prepare_avatar(request, lipsync_ctx)
    assert avatar.latents.size and avatar.frame.ndim == 3
    assert blocker.is_file()  # nothing written, nothing replaced
