"""core.export: PNG / JPEG / WebP with the edit settings in metadata, read back (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.core.errors import BadInput
from studio.core.export import export_image, read_settings

SETTINGS = {"source": "föto.png", "edits": [{"op": "Fill", "prompt": "a red balloon", "seed": 7}]}


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp"])
def test_settings_round_trip(tmp_path, photo, ext):
    path = export_image(photo, tmp_path / f"out{ext}", SETTINGS, quality=90)
    assert read_settings(path) == SETTINGS
    with Image.open(path) as img:
        assert img.size == (128, 96) and img.format in ("PNG", "JPEG", "WEBP")
        if ext == ".png":
            assert (np.asarray(img) == photo).all()  # lossless
    assert not list(tmp_path.glob("*.part"))


def test_rgba_keeps_alpha_in_png_and_flattens_for_jpeg(tmp_path, photo):
    rgba = np.dstack([photo, np.zeros(photo.shape[:2], np.uint8)])
    rgba[:, :64, 3] = 255
    png = export_image(rgba, tmp_path / "cut.png", {})
    with Image.open(png) as img:
        assert img.mode == "RGBA" and (np.asarray(img)[:, :, 3] == rgba[:, :, 3]).all()
    jpg = export_image(rgba, tmp_path / "cut.jpg", {})
    with Image.open(jpg) as img:
        assert img.mode == "RGB" and np.asarray(img)[:, 100:].min() > 240  # white behind


def test_bad_extension_and_no_settings(tmp_path, photo):
    with pytest.raises(BadInput, match="use .png, .jpg or .webp"):
        export_image(photo, tmp_path / "out.gif", {})
    Image.fromarray(photo).save(tmp_path / "plain.png")
    assert read_settings(tmp_path / "plain.png") is None
