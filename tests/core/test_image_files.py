"""Images given as files where the pipelines take arrays: paths, bytes, and a folder by mistake."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.core.errors import BadInput
from studio.core.imageio import check_mask, load_image, to_array


def test_a_folder_given_as_an_image_is_named_as_a_folder(tmp_path):
    folder = tmp_path / "holiday photos"
    folder.mkdir()
    with pytest.raises(BadInput, match="'holiday photos' is a folder"):
        load_image(folder)
    with pytest.raises(BadInput, match="is a folder"):
        to_array(str(folder))


def test_to_array_and_check_mask_read_files_as_their_pixels(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (12, 20, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "photo é.png")
    mask = np.zeros((12, 20), np.uint8)
    mask[2:6, 3:9] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert np.array_equal(to_array(tmp_path / "photo é.png"), pixels)
    assert np.array_equal(to_array((tmp_path / "photo é.png").read_bytes()), pixels)
    assert np.array_equal(check_mask(str(tmp_path / "mask.png"), (20, 12)), mask)
    with pytest.raises(BadInput, match="the image is 30x12"):
        check_mask(tmp_path / "mask.png", (30, 12))
