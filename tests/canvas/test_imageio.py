from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from studio.core.errors import BadInput
from studio.core.imageio import check_mask, image_hash, load_image, load_mask, save_image


def _rgb(w=40, h=30):
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))


@pytest.mark.parametrize(
    "ext,fmt", [(".png", "PNG"), (".jpg", "JPEG"), (".webp", "WEBP"), (".tif", "TIFF")]
)
def test_loads_supported_formats(tmp_path, ext, fmt):
    path = tmp_path / f"a{ext}"
    _rgb().save(path, format=fmt)
    img = load_image(path)
    assert img.mode == "RGB" and img.size == (40, 30)


def test_exif_orientation_is_honoured(tmp_path):
    img = _rgb(40, 30)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    path = tmp_path / "rot.jpg"
    img.save(path, exif=exif)
    assert load_image(path).size == (30, 40)


def test_rgba_is_composited_on_white(tmp_path):
    path = tmp_path / "t.png"
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(path)
    assert np.asarray(load_image(path)).min() == 255


def test_truncated_file(tmp_path):
    buf = io.BytesIO()
    _rgb(200, 200).save(buf, format="PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(BadInput, match="damaged or truncated"):
        load_image(path)


def test_unreadable_and_empty_and_missing(tmp_path):
    (tmp_path / "x.png").write_bytes(b"this is not an image at all")
    with pytest.raises(BadInput, match="not an image"):
        load_image(tmp_path / "x.png")
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(BadInput, match="empty"):
        load_image(tmp_path / "e.png")
    with pytest.raises(BadInput, match="does not exist"):
        load_image(tmp_path / "nope.png")


def test_unsupported_format(tmp_path):
    path = tmp_path / "a.gif"
    _rgb().save(path, format="GIF")
    with pytest.raises(BadInput, match="GIF"):
        load_image(path)


def _png_with_size(w: int, h: int) -> bytes:
    """A PNG whose header claims ``w x h`` (the pixel data is not needed to be refused)."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = bytearray(data[12:29])  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", w, h)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


def test_gigantic_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(_png_with_size(20000, 20000))
    with pytest.raises(BadInput, match="too large"):
        load_image(path)


def test_zero_pixel_image(tmp_path):
    path = tmp_path / "zero.png"
    path.write_bytes(_png_with_size(0, 10))
    with pytest.raises(BadInput):
        load_image(path)


def test_mask_checks(tmp_path):
    m = np.zeros((30, 40), np.uint8)
    with pytest.raises(BadInput, match="empty"):
        check_mask(m, (40, 30))
    m[5:10, 5:10] = 255
    with pytest.raises(BadInput, match="same size"):
        check_mask(m, (41, 30))
    assert check_mask(m.astype(bool), (40, 30)).max() == 255
    assert check_mask(m / 255.0, (40, 30)).max() == 255
    Image.fromarray(m).save(tmp_path / "m.png")
    assert (load_mask(tmp_path / "m.png", (40, 30)) == m).all()
    with pytest.raises(BadInput, match="same size"):
        load_mask(tmp_path / "m.png", (20, 20))


def test_save_png_metadata_and_hash(tmp_path):
    img = _rgb()
    path = save_image(img, tmp_path / "o.png", {"prompt": "a cat"})
    assert Image.open(path).text["prompt"] == "a cat"
    save_image(np.dstack([np.asarray(img), np.full((30, 40), 255, np.uint8)]), tmp_path / "o.jpg")
    assert load_image(tmp_path / "o.jpg").size == (40, 30)
    assert image_hash(img) == image_hash(np.asarray(img))
    assert image_hash(img) != image_hash(_rgb(41, 30))


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path):
    arr = (np.arange(64 * 32, dtype=np.uint16).reshape(32, 64) * 31).astype(np.uint16)
    path = tmp_path / "scan.png"
    Image.fromarray(arr).save(path)  # a 16-bit greyscale PNG
    img = np.asarray(load_image(path))
    assert img.shape == (32, 64, 3)
    assert img.max() > 200 and img.min() == 0  # the full 16-bit range maps to 0..255
    assert (np.diff(img[:, :, 0].ravel().astype(int)) >= 0).all()  # order is kept


def test_mask_from_alpha_or_luminance(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[:, :, :3] = 255  # white everywhere, but only the top half is opaque
    rgba[:5, :, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "cut.png")
    assert (
        load_mask(tmp_path / "cut.png")[:5].all() and not load_mask(tmp_path / "cut.png")[5:].any()
    )
    rgba[:, :, 3] = 255  # fully opaque: the grey values decide
    rgba[:, 5:, :3] = 0
    Image.fromarray(rgba).save(tmp_path / "bw.png")
    m = load_mask(tmp_path / "bw.png")
    assert m[:, :5].all() and not m[:, 5:].any()
