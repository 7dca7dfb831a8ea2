"""Thumbnails and image views are sharp at 200 % scaling: built with ``side * dpr`` device
pixels and carrying that ratio, never a 1x pixmap that Qt blows up.

The tests below run at the scale of their process: 1 normally (everything as before: ratio
1, ``side`` pixels), 2 when :func:`test_images_at_200_percent` runs them in a fresh process
with ``QT_SCALE_FACTOR=2`` (Qt reads the factor once, at start-up).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from studio.ui.widgets.image_view import ImageView
from studio.ui.widgets.images import (
    load_thumbnail,
    qimage_to_array,
    thumbnail_icon,
    to_pixmap,
    to_qimage,
)

SCALE = float(os.environ.get("QT_SCALE_FACTOR", "1"))
REPO = Path(__file__).resolve().parents[3]


def _noise(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _pixels(pixmap_or_image):
    image = pixmap_or_image.toImage() if hasattr(pixmap_or_image, "toImage") else pixmap_or_image
    return qimage_to_array(image)


def test_the_process_runs_at_its_scale(qapp):
    assert QApplication.instance().devicePixelRatio() == SCALE


def test_thumbnail_icon_holds_device_pixels_at_the_screen_ratio(qapp):
    side = 96
    device = round(side * SCALE)
    source = _noise(device, device)  # exactly the device size: kept pixel for pixel
    icon = thumbnail_icon(source, side)
    pixmap = icon.pixmap(QSize(side, side))  # what a view asks for: its logical icon size
    assert pixmap.size().toTuple() == (device, device)
    assert pixmap.devicePixelRatio() == SCALE
    assert pixmap.deviceIndependentSize().toTuple() == (side, side)
    # Not a side x side thumbnail blown up: every source pixel is there.
    np.testing.assert_array_equal(_pixels(pixmap), source)

    wide = thumbnail_icon(_noise(200, 400), side).pixmap(QSize(side, side))
    assert wide.size().toTuple() == (device, device // 2)
    assert wide.deviceIndependentSize().toTuple() == (side, side / 2)


def test_to_pixmap_sized_for_display_carries_the_ratio(qapp):
    wide = _noise(50, 200)
    shown = to_pixmap(wide, 64)
    assert shown.size().toTuple() == (round(64 * SCALE), round(16 * SCALE))
    assert shown.devicePixelRatio() == SCALE
    assert shown.deviceIndependentSize().toTuple() == (64, 16)
    assert to_pixmap(to_qimage(wide), 100).deviceIndependentSize().toTuple() == (100, 25)
    # Unsized: the image's own pixels at ratio 1, a source to scale later.
    source = to_pixmap(wide)
    assert source.size().toTuple() == (200, 50) and source.devicePixelRatio() == 1
    # A caller that knows its target's ratio passes it.
    target = to_pixmap(wide, 64, dpr=1.5)
    assert target.size().toTuple() == (96, 24) and target.devicePixelRatio() == 1.5


def test_load_thumbnail_on_a_worker_decodes_at_device_size(qapp, tmp_path):
    path = tmp_path / "photo.png"
    photo = _noise(1200, 1600)
    Image.fromarray(photo).save(path)
    with ThreadPoolExecutor(1) as pool:  # the callers load thumbnails on IoWorkers
        thumb = pool.submit(load_thumbnail, path, 160).result()
    assert (thumb.width(), thumb.height()) == (round(160 * SCALE), round(120 * SCALE))
    assert thumb.devicePixelRatio() == SCALE
    # Shown at its side (gallery, pack picker, avatar): the decoded pixels, not resampled.
    pixmap = to_pixmap(thumb, 160)
    assert pixmap.devicePixelRatio() == SCALE
    np.testing.assert_array_equal(_pixels(pixmap), qimage_to_array(thumb))
    icon = thumbnail_icon(thumb, 160).pixmap(QSize(160, 160))
    assert icon.size().toTuple() == (thumb.width(), thumb.height())


def test_image_view_fits_device_pixels(qtbot):
    view = ImageView("No source")
    qtbot.addWidget(view)
    view.resize(300, 300)
    view.show()
    qtbot.waitExposed(view)
    assert view.devicePixelRatioF() == SCALE
    view.show_image(_noise(1000, 1000))
    shown = view.pixmap()
    assert shown.size().toTuple() == (round(300 * SCALE),) * 2
    assert shown.devicePixelRatio() == SCALE
    # Drawn one pixmap pixel per screen pixel: the grab holds the pixmap's own pixels.
    grab = _pixels(view.grab())
    assert grab.shape[:2] == (round(300 * SCALE),) * 2
    inner = slice(round(8 * SCALE), round(-8 * SCALE))  # clear of the rounded corners
    np.testing.assert_array_equal(grab[inner, inner], _pixels(shown)[inner, inner])

    view.resize(400, 200)  # re-fitted on resize, still at the ratio
    qtbot.waitUntil(lambda: view.pixmap().height() == round(200 * SCALE))
    assert view.pixmap().devicePixelRatio() == SCALE
    assert view.pixmap().deviceIndependentSize().toTuple() == (200, 200)


def test_images_at_200_percent(tmp_path):
    """The tests above in a fresh process at QT_SCALE_FACTOR=2."""
    env = {
        **os.environ,
        "QT_SCALE_FACTOR": "2",
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
         str(tmp_path / "inner"), "-k", "not 200_percent", str(Path(__file__).resolve())],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "5 passed" in run.stdout, run.stdout[-3000:]
