"""Face detail as the last finishing step of a headshot pack, on tiny models."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.canvas.face_detail import RESTOREFORMER_ID
from studio.pipelines.headshots import packs, quality
from studio.pipelines.headshots.pack import run
from tests.fixtures.face_restore_models import build_tiny_restoreformer
from tests.fixtures.install import install_copy
from tests.headshots.conftest import small_pack


@pytest.fixture(scope="module")
def restorer_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("restoreformer")
    build_tiny_restoreformer(folder)
    return folder


def test_face_detail_changes_only_the_face_and_keeps_a_before_copy(
    hs_context, hs_store, restorer_folder, selfie_file, tmp_path
):
    install_copy(hs_store, RESTOREFORMER_ID, restorer_folder)
    pack = run(small_pack(selfie_file, tmp_path / "pack", face_detail=0.8), hs_context).pack
    assert pack.settings["face_detail"] == 0.8 and pack.models["face_detail"] == RESTOREFORMER_ID
    [item] = [im for im in pack.images if im.final]
    assert item.before_face_detail == f"before_face_detail/{item.index:03d}.jpg"
    again = packs.load_pack(pack.folder)  # the manifest keeps it
    assert again.image(item.index).before_face_detail == item.before_face_detail
    before = np.asarray(quality.load_image(pack.path(item.before_face_detail)), np.float32)
    after = np.asarray(quality.load_image(pack.path(item.final)), np.float32)
    assert before.shape == after.shape == (128, 128, 3)
    diff = np.abs(before - after).mean(axis=2)
    # The tiny detector's face sits at the centre, half the image wide; the corners are
    # beyond the aligned crop and differ only by JPEG noise.
    centre, corner = diff[48:80, 48:80].mean(), diff[:12, :12].mean()
    assert centre > 10 and corner < 3


def test_face_detail_off_keeps_the_finishing_as_before(hs_context, selfie_file, tmp_path):
    pack = run(small_pack(selfie_file, tmp_path / "pack"), hs_context).pack
    assert pack.settings["face_detail"] == 0.0 and "face_detail" not in pack.models
    assert all(not im.before_face_detail for im in pack.images)
    assert not (pack.folder / "before_face_detail").exists()


def test_face_detail_needs_its_model_and_a_valid_strength(hs_context, selfie_file, tmp_path):
    from studio.core.errors import ModelMissing

    with pytest.raises(ModelMissing):
        run(small_pack(selfie_file, tmp_path / "a", face_detail=0.5), hs_context)
    with pytest.raises(BadInput, match="face detail strength"):
        run(small_pack(selfie_file, tmp_path / "b", face_detail=1.5), hs_context)


def _parse(argv):
    import argparse

    from studio.clis import headshots

    parser = argparse.ArgumentParser()
    headshots.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_face_detail_option(
    hs_store, restorer_folder, selfie_file, tmp_path, monkeypatch, capsys
):
    import json

    with pytest.raises(SystemExit):
        _parse(["headshots", "--selfie", str(selfie_file), "--face-detail", "1.5"])
    assert "--face-detail" in capsys.readouterr().err
    install_copy(hs_store, RESTOREFORMER_ID, restorer_folder)
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(hs_store.root))
    out = tmp_path / "out"
    argv = ["headshots", "--selfie", str(selfie_file), "-n", "2", "--size", "64"]
    argv += ["--top-k", "1", "--no-upscale", "--face-detail", "0.5", "-o", str(out), "-q"]
    args = _parse(argv)
    assert args.func(args) == 0
    manifest = json.loads((out / "pack" / "pack.json").read_text())
    assert manifest["settings"]["face_detail"] == 0.5
    befores = [im["before_face_detail"] for im in manifest["images"] if im["final"]]
    assert befores and all((out / "pack" / b).is_file() for b in befores)


def test_a_before_copy_outside_the_pack_is_refused(tmp_path):
    import json

    folder = tmp_path / "pack"
    rgb = np.full((64, 64, 3), 128, np.uint8)
    pack = packs.Pack(folder, "corporate", "a portrait", "", {"steps": 2}, {}, [])
    packs.write_image(rgb, folder / "drafts/000.jpg")
    np.save(folder / "latents.npy", np.zeros(4, np.float16))
    pack.images.append(packs.PackImage(0, 1, "drafts/000.jpg", "latents.npy"))
    pack.save()
    manifest = json.loads((folder / packs.MANIFEST).read_text())
    manifest["images"][0]["before_face_detail"] = "../victim.jpg"
    (folder / packs.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BadInput, match="outside its folder"):
        packs.load_pack(folder)
