from __future__ import annotations

import argparse

import numpy as np
import pytest
from PIL import Image

from studio.clis import canvas as cli


@pytest.fixture
def cli_run(store, monkeypatch):
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(store.root))

    def _run(*argv: str) -> int:
        parser = argparse.ArgumentParser(prog="studio")
        cli.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["canvas", *argv, "-q"])
        return args.func(args)

    return _run


@pytest.fixture
def photo_file(tmp_path, photo):
    path = tmp_path / "photo.jpg"
    Image.fromarray(photo).save(path, quality=95)
    return path


def test_segment_then_remove_by_point(cli_run, install, photo_file, tmp_path):
    install("sam-vit-b", "lama-big")
    mask_path = tmp_path / "mask.png"
    assert (
        cli_run(
            "segment",
            "--image",
            str(photo_file),
            "--point",
            "60,40",
            "--exclude",
            "5,5",
            "-o",
            str(mask_path),
        )
        == 0
    )
    mask = np.asarray(Image.open(mask_path))
    assert mask.shape == (96, 128)
    mask = np.zeros((96, 128), np.uint8)
    mask[30:50, 40:60] = 255
    Image.fromarray(mask).save(mask_path)
    out = tmp_path / "removed.png"
    assert (
        cli_run("remove", "--image", str(photo_file), "--mask", str(mask_path), "-o", str(out)) == 0
    )
    assert Image.open(out).size == (128, 96)


def test_cutout_and_upscale(cli_run, install, photo_file, tmp_path):
    install("rembg-u2net", "realesrgan-x4plus")
    assert cli_run("cutout", "--image", str(photo_file), "-o", str(tmp_path / "c.png")) == 0
    assert Image.open(tmp_path / "c.png").mode == "RGBA"
    assert (
        cli_run(
            "cutout",
            "--image",
            str(photo_file),
            "--background",
            "#00ff00",
            "-o",
            str(tmp_path / "c.jpg"),
        )
        == 0
    )
    assert (
        cli_run(
            "upscale", "--image", str(photo_file), "--tile", "64", "-o", str(tmp_path / "u.png")
        )
        == 0
    )
    assert Image.open(tmp_path / "u.png").size == (512, 384)


def test_errors_print_message_and_exit_2(cli_run, photo_file, tmp_path, capsys):
    assert (
        cli_run(
            "remove", "--image", str(photo_file), "--point", "1,1", "-o", str(tmp_path / "x.png")
        )
        == 2
    )
    assert "error: The model 'Segment Anything ViT-B'" in capsys.readouterr().err
    (tmp_path / "bad.png").write_bytes(b"nope")
    assert cli_run("upscale", "--image", str(tmp_path / "bad.png"), "-o", "x.png") == 2
    assert "not an image" in capsys.readouterr().err
    assert (
        cli_run("fill", "--image", str(photo_file), "--prompt", "x", "-o", str(tmp_path / "f.png"))
        == 2
    )
    assert "--mask" in capsys.readouterr().err


def test_fill_variations_write_numbered_files(cli_run, sdxl, photo_file, tmp_path):
    mask = np.zeros((96, 128), np.uint8)
    mask[30:50, 40:60] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    out = tmp_path / "fill.png"
    assert (
        cli_run(
            "fill",
            "--image",
            str(photo_file),
            "--mask",
            str(tmp_path / "m.png"),
            "--prompt",
            "a hat",
            "--fast",
            "--steps",
            "4",
            "--seed",
            "5",
            "--variations",
            "2",
            "--work-side",
            "128",
            "-o",
            str(out),
        )
        == 0
    )
    assert Image.open(out).text["seed"] == "5"
    assert Image.open(tmp_path / "fill-2.png").text["seed"] == "6"


def test_cutout_to_jpeg_is_composited_like_the_gui_export(cli_run, install, photo_file, tmp_path):
    # JPEG has no alpha: the cut-out goes on white (as Export does), never the original photo
    install("rembg-u2net")
    png, jpg = tmp_path / "c.png", tmp_path / "c.jpg"
    assert cli_run("cutout", "--image", str(photo_file), "-o", str(png)) == 0
    assert cli_run("cutout", "--image", str(photo_file), "-o", str(jpg)) == 0
    rgba = np.asarray(Image.open(png)).astype(float)
    alpha = rgba[..., 3:] / 255
    expected = rgba[..., :3] * alpha + 255 * (1 - alpha)
    got = np.asarray(Image.open(jpg).convert("RGB")).astype(float)
    assert np.abs(got - expected).mean() < 6
    clear = alpha[..., 0] < 0.05
    if clear.any():  # where the cut-out is transparent the JPEG is white, not the photo
        assert got[clear].mean() > 240


def test_output_checked_before_the_job(cli_run, install, photo_file, tmp_path, capsys):
    install("rembg-u2net")
    (tmp_path / "file").write_text("x")
    assert cli_run("cutout", "--image", str(photo_file), "-o", str(tmp_path / "file/c.png")) == 2
    assert cli_run("cutout", "--image", str(photo_file), "-o", str(photo_file)) == 2
    assert cli_run("cutout", "--image", str(photo_file), "-o", str(tmp_path / "c.bmp")) == 2
    err = capsys.readouterr().err
    assert err.count("-o/--output") == 3 and "Cutting out" not in err


def test_every_canvas_operation_says_what_it_does_in_help():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "studio", "canvas", "--help"], capture_output=True, text=True
    ).stdout
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("    ")}
    for op in ("segment", "remove", "fill", "cutout", "upscale", "expand", "face-detail"):
        assert op in lines and len(lines[op].split()) > 2, out
