"""``studio live`` renders one frame from the installed tiny models."""

from __future__ import annotations

import numpy as np
from PIL import Image

from studio.cli import main


def test_live_cli_img2img_and_txt2img(live_store, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(live_store.root))
    src = tmp_path / "in.png"
    Image.fromarray((np.random.default_rng(0).random((80, 100, 3)) * 255).astype(np.uint8)).save(
        src
    )
    out = tmp_path / "out.png"
    args = ["live", "--prompt", "a cat", "--image", str(src), "-o", str(out), "-q"]
    assert main(args + ["--width", "128", "--height", "64"]) == 0
    assert Image.open(out).size == (128, 64)
    out2 = tmp_path / "t2i.jpg"
    assert (
        main(["live", "--prompt", "a cat", "-o", str(out2), "--width", "64", "--height", "64"]) == 0
    )
    assert Image.open(out2).size == (64, 64)
    assert "txt2img 64x64" in capsys.readouterr().out


def test_live_cli_errors(live_store, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(live_store.root))
    out = str(tmp_path / "o.png")
    assert main(["live", "--prompt", "a", "-o", out, "--width", "100", "-q"]) == 2
    assert "argument --width: must be a multiple of 8" in capsys.readouterr().err
    assert main(["live", "--prompt", "a", "-o", out, "--image", str(tmp_path / "no.png")]) == 2
    assert "argument --image: the file" in capsys.readouterr().err
    (tmp_path / "notes.png").write_text("not an image")
    assert main(["live", "--prompt", "a", "-o", out, "--image", str(tmp_path / "notes.png")]) == 2
    assert "'notes.png' is not an image" in capsys.readouterr().err
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(tmp_path / "empty"))
    assert main(["live", "--prompt", "a", "-o", out, "-q"]) == 2
    assert "studio models download sd-turbo" in capsys.readouterr().err
