"""The local face fix as a finishing step of a headshot pack, on tiny models: the tiny SCRFD
pack finds the face at the image centre, the tiny SDXL inpainting model with LCM-LoRA
repaints it with the style's prompt."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput, ModelMissing
from studio.pipelines.headshots import packs, quality
from studio.pipelines.headshots.pack import run
from tests.fixtures.install import install_copy
from tests.headshots.conftest import small_pack


@pytest.fixture
def inpaint_models(hs_store, sdxl_folders):
    for model_id in ("sdxl-inpaint", "lcm-lora-sdxl"):
        install_copy(hs_store, model_id, sdxl_folders / model_id)
    return hs_store


def test_face_fix_repaints_the_face_of_each_final(
    hs_context, inpaint_models, selfie_file, tmp_path
):
    pack = run(small_pack(selfie_file, tmp_path / "pack", face_fix="inpaint"), hs_context).pack
    assert pack.settings["face_fix"] == "inpaint"
    [item] = [im for im in pack.images if im.final]
    # The review's "before" is the refined image before the fix.
    assert item.before_face_detail == f"before_face_detail/{item.index:03d}.jpg"
    before = np.asarray(quality.load_image(pack.path(item.before_face_detail)), np.float32)
    after = np.asarray(quality.load_image(pack.path(item.final)), np.float32)
    assert before.shape == after.shape == (128, 128, 3)
    diff = np.abs(before - after).mean(axis=2)
    # The tiny detector's face sits at the centre, half the image wide; the corners are
    # beyond the face's mask and differ only by JPEG noise.
    centre, corner = diff[48:80, 48:80].mean(), diff[:12, :12].mean()
    assert centre > 10 and corner < 3
    again = packs.load_pack(pack.folder)  # the manifest keeps the setting
    assert again.settings["face_fix"] == "inpaint"


def test_the_fixed_final_differs_from_a_pack_without_the_fix(
    hs_context, inpaint_models, selfie_file, tmp_path
):
    fixed = run(small_pack(selfie_file, tmp_path / "a", face_fix="inpaint"), hs_context).pack
    plain = run(small_pack(selfie_file, tmp_path / "b"), hs_context).pack
    assert plain.settings["face_fix"] == ""
    [f], [p] = [im for im in fixed.images if im.final], [im for im in plain.images if im.final]
    assert f.index == p.index and not p.before_face_detail
    a = np.asarray(quality.load_image(fixed.path(f.final)), np.float32)
    b = np.asarray(quality.load_image(plain.path(p.final)), np.float32)
    # Same seed, same refine: the fix is what changed the face (the "before" copy of the
    # fixed pack is the plain pack's final, up to JPEG noise).
    assert np.abs(a - b).mean(axis=2)[48:80, 48:80].mean() > 10
    before = np.asarray(quality.load_image(fixed.path(f.before_face_detail)), np.float32)
    assert np.abs(before - b).mean() < 3


def test_face_fix_needs_its_models_and_a_known_method(hs_context, selfie_file, tmp_path):
    with pytest.raises(ModelMissing) as err:
        run(small_pack(selfie_file, tmp_path / "a", face_fix="inpaint"), hs_context)
    assert {"sdxl-inpaint", "lcm-lora-sdxl"} <= set(err.value.model_ids)
    with pytest.raises(BadInput, match="face fix must be 'inpaint' or off"):
        run(small_pack(selfie_file, tmp_path / "b", face_fix="restore"), hs_context)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_cancel_during_the_face_fix_keeps_the_drafts(
    hs_context, inpaint_models, selfie_file, tmp_path
):
    from studio.core.errors import Cancelled

    def press_cancel():  # the user presses Cancel once the face fix has begun
        if "sdxl-inpaint:cpu" in hs_context.cache:
            hs_context.cancel.cancel()

    hs_context.cancel.on_check.append(press_cancel)
    with pytest.raises(Cancelled):
        run(small_pack(selfie_file, tmp_path / "pack", face_fix="inpaint"), hs_context)
    pack = packs.load_pack(tmp_path / "pack")
    assert len(pack.images) == 2 and not any(im.final for im in pack.images)
    assert all(pack.path(im.draft).is_file() for im in pack.images)
    assert not list((tmp_path / "pack").glob("final/*.jpg"))  # no half-fixed final
