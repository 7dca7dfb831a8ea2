"""The one ndarray / PIL <-> QImage module: formats, values, padding, strides, thumbnails."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QColor, QImage

from studio.ui.widgets.images import (
    as_array,
    load_thumbnail,
    qimage_to_array,
    thumbnail_icon,
    to_pixmap,
    to_qimage,
)


def _pattern(h=30, w=45, channels=3, seed=0):
    shape = (h, w) if channels == 1 else (h, w, channels)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_rgb_array_round_trip_keeps_every_value(qapp):
    rgb = _pattern()
    image = to_qimage(rgb)
    assert image.format() == QImage.Format.Format_RGB888
    assert (image.width(), image.height()) == (45, 30)
    assert image.pixelColor(7, 3) == QColor(*rgb[3, 7])
    np.testing.assert_array_equal(qimage_to_array(image), rgb)


def test_rgba_array_round_trip_keeps_alpha(qapp):
    rgba = _pattern(channels=4)
    rgba[0, 0] = (10, 20, 30, 0)  # fully transparent: straight alpha keeps the colour
    image = to_qimage(rgba)
    assert image.format() == QImage.Format.Format_RGBA8888 and image.hasAlphaChannel()
    assert image.pixelColor(5, 2).alpha() == rgba[2, 5, 3]
    np.testing.assert_array_equal(qimage_to_array(image, alpha=True), rgba)
    np.testing.assert_array_equal(qimage_to_array(image)[1:, 1:], rgba[1:, 1:, :3])


def test_grayscale_mask_becomes_a_grayscale_image(qapp):
    mask = _pattern(channels=1)
    image = to_qimage(mask)
    assert image.format() == QImage.Format.Format_Grayscale8
    rgb = qimage_to_array(image)
    for c in range(3):
        np.testing.assert_array_equal(rgb[:, :, c], mask)


def test_padded_rows_are_cut_off(qapp):
    rgb = _pattern(h=17, w=13)  # 13 * 3 bytes: Qt pads each row to 40
    image = to_qimage(rgb)
    assert image.bytesPerLine() > 13 * 3
    np.testing.assert_array_equal(qimage_to_array(image), rgb)
    argb = image.convertToFormat(QImage.Format.Format_ARGB32)
    np.testing.assert_array_equal(qimage_to_array(argb), rgb)


def test_qimage_of_another_format_reads_as_rgb(qapp):
    image = QImage(4, 4, QImage.Format.Format_RGB32)
    image.fill(QColor(10, 20, 30))
    assert tuple(qimage_to_array(image)[0, 0]) == (10, 20, 30)


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[::2, ::3],  # strided rows and columns
        lambda a: a[:, ::-1],  # negative stride
        lambda a: a[5:20, 7:30],  # a crop: rows longer than the image
        lambda a: np.asfortranarray(a),
        lambda a: a[:, :, ::-1],  # BGR view of the same memory
    ],
)
def test_non_contiguous_arrays_convert_by_value(qapp, view):
    array = view(_pattern(h=40, w=60))
    assert not array.flags.c_contiguous
    np.testing.assert_array_equal(qimage_to_array(to_qimage(array)), array)


def test_channel_slice_of_rgba_is_rgb(qapp):
    rgba = _pattern(channels=4)
    rgb_view = rgba[:, :, :3]
    image = to_qimage(rgb_view)
    assert image.format() == QImage.Format.Format_RGB888
    np.testing.assert_array_equal(qimage_to_array(image), rgb_view)


def test_pil_images_keep_alpha_and_grayscale(qapp):
    rgba = _pattern(channels=4)
    assert to_qimage(Image.fromarray(rgba, "RGBA")).hasAlphaChannel()
    np.testing.assert_array_equal(
        qimage_to_array(to_qimage(Image.fromarray(rgba, "RGBA")), alpha=True), rgba
    )
    gray = _pattern(channels=1)
    assert as_array(Image.fromarray(gray, "L")).shape == gray.shape
    palette = Image.fromarray(_pattern()).convert("P")
    np.testing.assert_array_equal(
        qimage_to_array(to_qimage(palette)), np.asarray(palette.convert("RGB"))
    )


def test_bad_shapes_are_refused(qapp):
    with pytest.raises(ValueError, match="H x W"):
        to_qimage(np.zeros((4, 4, 2), np.uint8))


def test_pixmaps_and_icons_fit_the_side(qapp):
    wide = _pattern(h=50, w=200)
    assert to_pixmap(wide).size().toTuple() == (200, 50)
    assert to_pixmap(wide, 64).size().toTuple() == (64, 16)
    assert to_pixmap(to_qimage(wide), 100).width() == 100
    icon = thumbnail_icon(wide, 40)
    assert not icon.isNull() and icon.availableSizes()[0].width() == 40


def test_load_thumbnail_decodes_a_large_file_small(qapp, tmp_path):
    big = np.zeros((1200, 1600, 3), np.uint8)
    big[:, :800] = (200, 30, 40)
    path = tmp_path / "big.jpg"
    Image.fromarray(big).save(path, quality=95)
    thumb = load_thumbnail(path, 160)
    assert max(thumb.width(), thumb.height()) == 160 and thumb.width() == 160
    left = qimage_to_array(thumb)[60, 20].astype(int)
    assert np.abs(left - (200, 30, 40)).max() < 12  # JPEG: close, not exact
    with pytest.raises(OSError):
        load_thumbnail(tmp_path / "missing.png", 160)
