"""Damaged or half-installed lipsync models give a clear message, never a traceback."""

from __future__ import annotations

import json

import pytest

from studio.core.errors import ModelDamaged, ModelMissing
from studio.models.store import MARKER
from studio.models.verify import DAMAGED_MARKER, verify_installed, verify_models
from studio.pipelines.lipsync import face
from studio.pipelines.lipsync import models as lm


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble(path):
    data = path.read_bytes()
    path.write_bytes(b"\x00not a model file\xff" * 16 + data[272:])


DAMAGE = {"truncated": _truncate, "garbled": _garble}
LOADERS = {
    "musetalk-v15": ("musetalkV15/unet.pth", lm.load_unet),
    "sd-vae-ft-mse": ("diffusion_pytorch_model.safetensors", lm.load_vae),
    "whisper-tiny": ("model.safetensors", lm.load_audio_encoder),
    "face-parse-bisenet": ("79999_iter.pth", lm.load_face_parser),
    "antelopev2": ("models/antelopev2/scrfd_10g_bnkps.onnx", face.load_detector),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("model_id", sorted(LOADERS))
def test_damaged_file_says_download_again(lipsync_ctx, model_id, damage):
    relpath, load = LOADERS[model_id]
    DAMAGE[damage](lipsync_ctx.store.model_dir(model_id) / relpath)
    with pytest.raises(ModelDamaged) as info:
        load(lipsync_ctx)
    message = info.value.user_message
    assert lipsync_ctx.store.catalogue.get(model_id).name in message
    assert "damaged" in message and "download it again" in message
    assert f"studio models download {model_id} --force" in message
    assert info.value.model_id == model_id and info.value.detail
    assert verify_installed(lipsync_ctx.store, model_id) == [f"changed: {relpath}"]


def test_musetalk_config_that_is_not_json_is_damaged(lipsync_ctx):
    (lipsync_ctx.store.model_dir("musetalk-v15") / "musetalkV15" / "musetalk.json").write_text(
        '{"in_channels": 8,'
    )
    with pytest.raises(ModelDamaged, match="MuseTalk"):
        lm.load_unet(lipsync_ctx)


def test_empty_store_names_every_missing_lipsync_model_at_once(run_context):
    for load in (face.load_detector, lm.load_vae, lm.load_unet, lm.load_audio_encoder):
        with pytest.raises(ModelMissing) as info:
            load(run_context)
        assert info.value.model_ids == list(lm.REQUIRED)
        assert all(i in info.value.user_message for i in lm.REQUIRED)
    assert lm.load_face_parser(run_context) is None  # optional: not asked for


@pytest.mark.parametrize("marker", ["{not json", "", "[]", '{"id": "whisper-tiny"}', "\xff\xfe"])
def test_garbled_install_marker_means_not_installed(lipsync_ctx, marker):
    store = lipsync_ctx.store
    (store.model_dir("whisper-tiny") / MARKER).write_text(marker, encoding="latin-1")
    assert not store.is_installed("whisper-tiny")
    assert store.marker_damaged("whisper-tiny")
    assert "whisper-tiny" not in [e.id for e in store.installed()]
    with pytest.raises(ModelMissing) as info:
        face.load_detector(lipsync_ctx)
    assert info.value.model_ids == ["whisper-tiny"]
    with pytest.raises(ModelMissing):
        store.manifest("whisper-tiny")
    assert verify_installed(store, "whisper-tiny") == [DAMAGED_MARKER]
    report = dict(verify_models(store))
    assert report["whisper-tiny"] == [DAMAGED_MARKER]
    assert report["musetalk-v15"] == []
    assert verify_models(store, ["taesd"]) == [("taesd", ["not installed"])]


def test_valid_marker_still_installed(lipsync_ctx):
    store = lipsync_ctx.store
    manifest = json.loads((store.model_dir("whisper-tiny") / MARKER).read_text())
    assert store.is_installed("whisper-tiny") and not store.marker_damaged("whisper-tiny")
    assert store.manifest("whisper-tiny") == manifest


def test_cli_with_a_damaged_whisper_says_so_without_traceback(
    lipsync_ctx, avatar_files, short_speech_wav, tmp_path, monkeypatch, capsys
):
    import argparse

    import studio.services.headless as headless
    from studio.clis import lipsync as cli

    _truncate(lipsync_ctx.store.model_dir("whisper-tiny") / "model.safetensors")
    monkeypatch.setattr(headless, "headless_context", lambda quiet=False: lipsync_ctx)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    out = tmp_path / "out.mp4"
    args = parser.parse_args(
        ["lipsync", "--avatar", str(avatar_files[1]), "--audio", str(short_speech_wav)]
        + ["-o", str(out)]
    )
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert "Whisper tiny (audio features)' is damaged" in err
    assert "studio models download whisper-tiny --force" in err
    assert "Traceback" not in err
    assert not out.exists()
