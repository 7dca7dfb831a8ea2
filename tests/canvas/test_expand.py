"""Expand canvas: tiny LaMa + tiny SDXL inpainting through the real loaders."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from PIL import Image

from studio.core.errors import BadInput
from studio.pipelines.canvas import JOBS
from studio.pipelines.canvas.expand import ExpandRequest, padding, seam_weights
from studio.pipelines.canvas.remove import RemoveRequest
from studio.pipelines.canvas.remove import run as remove


def _request(photo, **kw):
    base = dict(image=photo, prompt="a sandy beach", steps=2, seed=5, work_side=128)
    return ExpandRequest(**{**base, **kw})


def test_expand_keeps_the_photo_and_fills_the_new_area(run_context, install, sdxl, photo):
    install("lama-big")
    before = photo.copy()
    res = JOBS["canvas.expand"](_request(photo, right=40, bottom=24), run_context)
    h, w = photo.shape[:2]
    assert res.image.shape == (h + 24, w + 40, 3) and res.image.dtype == np.uint8
    assert res.box == (0, 0, w, h)
    assert (res.image[:h, :w] == photo).all()  # bit-identical
    assert (photo == before).all()  # the input is not modified
    new = np.concatenate([res.image[:, w:].reshape(-1, 3), res.image[h:, :w].reshape(-1, 3)])
    assert new.std(axis=0).min() > 1.0  # filled, not a constant colour
    # Beyond the seam band the SDXL pixels replace LaMa's pre-fill; inside it they mix.
    canvas = np.pad(photo, ((0, 24), (0, 40), (0, 0)), mode="edge")
    hole = np.full(canvas.shape[:2], 255, np.uint8)
    hole[:h, :w] = 0
    prefill = remove(
        RemoveRequest(image=canvas, mask=hole, feather_px=0, margin=1.0, max_side=128),
        run_context,
    ).image
    assert (res.image[:h, w + 36 :] != prefill[:h, w + 36 :]).any(axis=2).mean() > 0.5
    hard = JOBS["canvas.expand"](_request(photo, right=40, bottom=24, seam_px=0), run_context)
    weights = seam_weights(hole.shape, (0, 0, w, h), 32)
    band = (weights > 0) & (weights < 255)  # less than 32 px from the photo
    assert (hard.image[~band] == res.image[~band]).all()  # the band alone differs
    assert (hard.image[band] != res.image[band]).any()
    stages = {r[0] for r in run_context.reports}
    assert {"Pre-filling", "Expanding"} <= stages
    assert res.settings["expand"] == {"left": 0, "top": 0, "right": 40, "bottom": 24}
    assert res.settings["seed"] == 5 and res.settings["fast"] is True
    again = JOBS["canvas.expand"](_request(photo, right=40, bottom=24), run_context)
    assert (again.image == res.image).all()  # same seed, same result


def test_expand_to_an_aspect_ratio_on_both_sides(run_context, install, sdxl, photo):
    install("lama-big")
    res = JOBS["canvas.expand"](_request(photo, aspect="16:9"), run_context)
    h, w = photo.shape[:2]  # 96 x 128: too narrow for 16:9 -> 171 wide
    assert res.image.shape == (96, 171, 3)
    x0 = res.box[0]
    assert res.box == (21, 0, 21 + w, h)
    assert (res.image[:, x0 : x0 + w] == photo).all()


def test_padding_and_seam_weights():
    req = ExpandRequest(image=None, aspect="4:5")
    assert padding(req, 100, 100) == (0, 12, 0, 13)  # 100 x 125
    assert padding(ExpandRequest(image=None, aspect="3:2"), 1024, 1024) == (256, 0, 256, 0)
    left = ExpandRequest(image=None, aspect="3:2", anchor="left")  # the photo stays left
    assert padding(left, 1024, 1024) == (0, 0, 512, 0)
    assert padding(ExpandRequest(image=None, aspect="4:5", anchor="bottom"), 100, 100) == (
        0,
        25,
        0,
        0,
    )
    weights = seam_weights((10, 20), (0, 0, 10, 10), 4)
    assert (weights[:, :10] == 0).all()
    assert weights[0, 10] == 64 and weights[0, 13] == 255 and weights[0, 19] == 255
    hard = seam_weights((10, 20), (0, 0, 10, 10), 0)
    assert (hard[:, 10:] == 255).all() and (hard[:, :10] == 0).all()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"right": -4}, "must not be negative"),
        ({"left": 5000}, "at most 4096"),
        ({"right": 4096, "left": 4096}, "at most 8192"),
        ({}, "at least one side"),
        ({"aspect": "4:3"}, "already 4:3"),
        ({"aspect": "wide"}, "look like 16:9"),
        ({"aspect": "16:9", "right": 10}, "not both"),
        ({"right": 1.5}, "whole number"),
        ({"aspect": "16:9", "anchor": "middle"}, "anchor must be one of"),
        ({"right": 8, "seam_px": -1}, "seam band"),
        ({"right": 8, "steps": 30}, "Fast mode"),
        ({"right": 8, "prompt": "a nude"}, "content filter"),
    ],
)
def test_bad_values_are_refused_before_any_model_loads(run_context, kw, message):
    img = np.zeros((96, 128, 3), np.uint8)  # 4:3
    with pytest.raises(BadInput, match=message):
        JOBS["canvas.expand"](ExpandRequest(image=img, **kw), run_context)
    assert not run_context.reports  # nothing loaded


@pytest.fixture
def cli_run(store, monkeypatch):
    from studio.clis import canvas as cli

    monkeypatch.setenv("STUDIO_MODELS_DIR", str(store.root))

    def _run(*argv: str) -> int:
        parser = argparse.ArgumentParser(prog="studio")
        cli.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["canvas", "expand", *argv, "-q"])
        return args.func(args)

    return _run


def test_cli_writes_the_expanded_file_with_its_settings(cli_run, install, sdxl, photo, tmp_path):
    from studio.core.export import read_settings

    install("lama-big")
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    out = tmp_path / "out.png"
    args = ("--right", "32", "--bottom", "16", "--steps", "2", "--work-side", "128")
    assert cli_run(str(src), *args, "--seed", "3", "-o", str(out)) == 0
    written = np.asarray(Image.open(out).convert("RGB"))
    assert written.shape == (96 + 16, 128 + 32, 3)
    assert (written[:96, :128] == photo).all()
    settings = read_settings(out)
    assert settings["kind"] == "canvas.expand" and settings["seed"] == 3
    assert settings["expand"]["right"] == 32
    wide = tmp_path / "wide.webp"
    argv = ("--aspect", "16:9", "--anchor", "left", "--steps", "2", "--work-side", "128")
    assert cli_run("--image", str(src), *argv, "-o", str(wide)) == 0
    assert Image.open(wide).size == (171, 96)
    assert read_settings(wide)["expand"] == {"left": 0, "top": 0, "right": 43, "bottom": 0}


def test_missing_models_are_named_together(run_context, photo):
    from studio.core.errors import ModelMissing

    with pytest.raises(ModelMissing) as err:
        JOBS["canvas.expand"](_request(photo, right=8), run_context)
    for name in ("LaMa", "SDXL 1.0 Inpainting", "LCM-LoRA"):
        assert name in err.value.user_message


def test_cli_errors_for_bad_values(cli_run, photo, tmp_path, capsys):
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    out = tmp_path / "out.png"
    assert cli_run(str(src), "--right", "-5", "-o", str(out)) == 2
    assert "must not be negative" in capsys.readouterr().err
    assert cli_run(str(src), "--aspect", "4:3", "-o", str(out)) == 2
    assert "already 4:3" in capsys.readouterr().err
    assert cli_run(str(src), "-o", str(out)) == 2
    assert "at least one side" in capsys.readouterr().err
    assert not out.exists()
