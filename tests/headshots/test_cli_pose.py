"""``studio headshots --pose`` / ``--list-poses`` / ``--aspect``."""

from __future__ import annotations

import json

import pytest

from studio.pipelines.headshots import pose
from tests.fixtures.install import install_copy


def _parse(argv):
    import argparse

    from studio.clis import headshots

    parser = argparse.ArgumentParser()
    headshots.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


@pytest.mark.parametrize("argv", [["--list-poses"], ["--pose", "list"]])
def test_the_pose_presets_are_listed(argv, capsys):
    args = _parse(["headshots", *argv])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    for key, label in pose.POSE_PRESETS.items():
        assert f"{key}" in printed and label in printed
    assert "PHOTO" in printed


def test_a_bad_pose_is_named_before_anything_loads(tmp_path, selfie_file, capsys):
    args = _parse(
        ["headshots", "--selfie", str(selfie_file), "-o", str(tmp_path / "o"), "--pose", "left"]
    )
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert "--pose: 'left' is neither a pose preset" in err and "three-quarter-left" in err
    assert not (tmp_path / "o").exists()


def test_help_explains_the_pose_option(capsys):
    with pytest.raises(SystemExit):
        _parse(["headshots", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--pose PRESET|PHOTO" in text and "--pose list shows them" in text
    assert "--list-poses" in text and "--aspect {1:1,4:5,2:3}" in text


@pytest.fixture(scope="module")
def built_pose_net(tmp_path_factory, built_models):
    from tests.fixtures.pose_models import build_tiny_pose_controlnet

    folder = tmp_path_factory.mktemp("cli_pose") / pose.MODEL_ID
    build_tiny_pose_controlnet(folder, built_models["realvisxl-v4-lightning"])
    return folder


def test_a_posed_portrait_pack_from_the_cli(
    hs_store, built_pose_net, selfie_file, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(hs_store.root))
    out = tmp_path / "out"
    argv = ["headshots", "--selfie", str(selfie_file), "-n", "2", "--size", "192"]
    argv += ["--top-k", "0", "--aspect", "4:5", "-o", str(out), "-q"]
    missing = _parse([*argv, "--pose", "three-quarter-left"])
    assert missing.func(missing) == 2
    assert "OpenPose ControlNet" in capsys.readouterr().err  # names the model to download
    install_copy(hs_store, pose.MODEL_ID, built_pose_net)
    args = _parse([*argv, "--pose", str(selfie_file), "--pose-strength", "0.9"])
    assert args.func(args) == 0
    manifest = json.loads((out / "pack" / "pack.json").read_text())
    settings = manifest["settings"]
    assert (settings["width"], settings["height"], settings["aspect"]) == (128, 160, "4:5")
    assert settings["pose_kind"] == "photo" and settings["pose_name"] == "selfie.jpg"
    assert settings["pose_strength"] == 0.9 and manifest["models"]["pose"] == pose.MODEL_ID


def test_list_styles_shows_your_styles_and_names_a_broken_file(capsys):
    import json as _json

    from studio.pipelines.headshots.styles import user_styles_dir

    folder = user_styles_dir()
    folder.mkdir(parents=True)
    style = {"id": "inked", "name": "Inked", "prompt": "ink portrait, {custom}"}
    style["lora"] = {"model": "user-ink", "weight": 0.8}
    (folder / "inked.json").write_text(_json.dumps(style), encoding="utf-8")
    args = _parse(["headshots", "--list-styles"])
    assert args.func(args) == 0
    assert "inked              Inked  (LoRA user-ink at 0.8)" in capsys.readouterr().out
    (folder / "bad.json").write_text("{", encoding="utf-8")
    assert args.func(args) == 2
    assert "error: The style file 'bad.json' is not a valid style pack." in capsys.readouterr().err


def test_face_fix_from_the_cli_names_the_inpainting_models_it_needs(
    tmp_path, selfie_file, capsys, monkeypatch
):
    """``--face-fix inpaint`` reaches the pack: in an empty store it names fill's models."""
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "home"))
    args = _parse(
        [
            "headshots",
            "--selfie",
            str(selfie_file),
            "-o",
            str(tmp_path / "o"),
            "--face-fix",
            "inpaint",
        ]
    )
    assert args.face_fix == "inpaint"
    assert args.func(args) != 0
    err = capsys.readouterr().err
    assert "lcm-lora-sdxl" in err.lower() or "lcm-lora" in err.lower(), err
    assert "Traceback" not in err
