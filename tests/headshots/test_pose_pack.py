"""The pose ControlNet in a headshot pack: loaded from the published layout through the
production loader, run beside IdentityNet, recorded in the pack and used again by re-roll."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.core.errors import ModelDamaged, ModelMissing
from studio.pipelines.headshots import pose, pose_control
from studio.pipelines.headshots.pack import PackRequest, run
from studio.pipelines.headshots.reroll import RerollRequest, reroll
from tests.fixtures.install import install_copy

FAST = {"steps": 2, "refine_steps": 2, "refine_strength": 0.5}


@pytest.fixture(scope="module")
def built_pose_net(tmp_path_factory, built_models) -> Path:
    from tests.fixtures.pose_models import build_tiny_pose_controlnet

    folder = tmp_path_factory.mktemp("pose_net") / pose.MODEL_ID
    build_tiny_pose_controlnet(folder, built_models["realvisxl-v4-lightning"])
    return folder


@pytest.fixture
def pose_context(hs_context, built_pose_net):
    install_copy(hs_context.store, pose.MODEL_ID, built_pose_net)
    return hs_context


def _request(selfie, folder, **kw):
    base = dict(
        selfies=[selfie],
        count=2,
        size=64,
        batch_size=2,
        refine_top_k=0,
        upscale=False,
        overrides=dict(FAST),
        folder=folder,
        seed=5,
    )
    base.update(kw)
    return PackRequest(**base)


def _latents(result):
    return [np.load(result.pack.path(im.latent)) for im in result.pack.images]


def test_the_pose_net_loads_from_the_published_layout(pose_context):
    from diffusers import ControlNetModel

    net = pose_control.pose_controlnet(pose_context)
    assert isinstance(net, ControlNetModel) and not net.training
    unet_config = ControlNetModel.load_config(
        pose_context.store.require("realvisxl-v4-lightning") / "unet"
    )
    assert net.config.cross_attention_dim == unet_config["cross_attention_dim"]
    assert net.config.conditioning_channels == 3
    # the model manager keeps it warm
    assert pose_control.pose_controlnet(pose_context) is net


def test_a_damaged_pose_net_names_the_model(hs_context, built_pose_net, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(built_pose_net, broken)
    weights = broken / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    install_copy(hs_context.store, pose.MODEL_ID, broken)
    with pytest.raises(ModelDamaged, match="OpenPose ControlNet"):
        pose_control.pose_controlnet(hs_context)


def test_a_pack_with_a_pose_needs_the_pose_net(hs_context, selfie_file, tmp_path):
    with pytest.raises(ModelMissing, match="OpenPose ControlNet"):
        run(_request(selfie_file, tmp_path / "p", pose="straight"), hs_context)
    assert not (tmp_path / "p").exists()  # refused before any work


def test_the_pose_net_changes_the_drafts_and_is_recorded(pose_context, selfie_file, tmp_path):
    posed = run(_request(selfie_file, tmp_path / "posed", pose="three-quarter-left"), pose_context)
    # the same face keypoints (the pose's), the pose net at scale 0: only the net differs
    still = run(
        _request(
            selfie_file,
            tmp_path / "still",
            pose="three-quarter-left",
            overrides={**FAST, "pose_strength": 0.0},
        ),
        pose_context,
    )
    plain = run(_request(selfie_file, tmp_path / "plain"), pose_context)
    for a, b in zip(_latents(posed), _latents(still), strict=True):
        assert np.abs(a - b).mean() > 1e-3
    # IdentityNet got the pose's face keypoints, not the selfie's (the tiny IdentityNet
    # barely sees 64-pixel keypoint images: a small change, but a change)
    for a, b in zip(_latents(still), _latents(plain), strict=True):
        assert not np.array_equal(a, b)
    settings, models = posed.pack.settings, posed.pack.models
    assert settings["pose_kind"] == "three-quarter-left"
    assert settings["pose_name"] == "Three-quarter, facing left"
    assert settings["pose_angles"] == [-30, 0, -25] and settings["pose_strength"] == 0.6
    assert models["pose"] == pose.MODEL_ID
    assert plain.pack.settings["pose_kind"] == "" and "pose" not in plain.pack.models
    # a re-roll draws with the pack's pose: the same seed gives the same draft
    first = posed.pack.images[0]
    again = reroll(RerollRequest(posed.folder, first.index, first.seed), pose_context)
    assert np.allclose(np.load(posed.pack.path(again.latent)), _latents(posed)[0], atol=1e-3)


def test_a_pose_from_a_photo(pose_context, selfie_file, tmp_path):
    result = run(_request(selfie_file, tmp_path / "photo", pose=Path(selfie_file)), pose_context)
    settings = result.pack.settings
    assert settings["pose_kind"] == "photo" and settings["pose_name"] == "selfie.jpg"
    assert len(settings["pose_angles"]) == 3 and result.pack.models["pose"] == pose.MODEL_ID
    assert len(result.pack.images) == 2
