from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput, ModelMissing
from studio.pipelines.canvas import JOBS
from studio.pipelines.canvas.cutout import CutoutRequest, apply_mask
from studio.pipelines.canvas.upscale import UpscaleRequest, tiles


def test_cutout_transparent(run_context, install, photo):
    install("rembg-u2net")
    res = JOBS["canvas.cutout"](CutoutRequest(image=photo), run_context)
    assert res.image.shape == (*photo.shape[:2], 4)
    assert (res.image[:, :, 3] == res.mask).all()
    assert (res.image[:, :, :3] == photo).all()
    assert res.mask.dtype == np.uint8 and res.mask.shape == photo.shape[:2]


def test_cutout_solid_background_and_reapply(run_context, install, photo):
    install("rembg-u2net")
    res = JOBS["canvas.cutout"](CutoutRequest(image=photo, background=(0, 255, 0)), run_context)
    assert res.image.shape == photo.shape
    edited = res.mask.copy()
    edited[:10] = 0  # the user erases part of the mask, then re-applies it
    out = apply_mask(photo, edited, (0, 255, 0))
    assert (out[:10] == (0, 255, 0)).all()


def test_cutout_errors(run_context, photo):
    with pytest.raises(ModelMissing, match="U2-Net"):
        JOBS["canvas.cutout"](CutoutRequest(image=photo), run_context)
    with pytest.raises(BadInput, match="Unknown"):
        JOBS["canvas.cutout"](CutoutRequest(image=photo, model="rembg-x"), run_context)


def test_tiles_partition_the_axis():
    parts = tiles(100, 32, 8)
    assert [(k0, k1) for _, _, k0, k1 in parts] == [(0, 32), (32, 64), (64, 96), (96, 100)]
    assert parts[1][:2] == (24, 72)
    assert tiles(20, 32, 8) == [(0, 20, 0, 20)]


def test_upscale_x4_tiled_matches_whole(run_context, install, photo):
    install("realesrgan-x4plus")
    img = photo[:40, :56]
    whole = JOBS["canvas.upscale"](UpscaleRequest(image=img, tile=0), run_context)
    assert whole.scale == 4 and whole.image.shape == (160, 224, 3)
    tiled = JOBS["canvas.upscale"](UpscaleRequest(image=img, tile=24, overlap=24), run_context)
    diff = np.abs(tiled.image.astype(int) - whole.image.astype(int))
    assert diff.max() <= 1  # overlap covers the receptive field: seams are invisible
    reports = [r for r in run_context.reports if r[0] == "Upscaling"]
    assert reports[-1] == ("Upscaling", 6, 6)


def test_upscale_keeps_a_cutouts_transparency(run_context, install, photo):
    install("realesrgan-x4plus")
    rgb = photo[:40, :56]
    alpha = np.zeros((40, 56), np.uint8)
    alpha[10:30, 20:40] = 255
    rgba = np.dstack([rgb, alpha])
    out = JOBS["canvas.upscale"](UpscaleRequest(image=rgba, tile=0), run_context).image
    opaque = JOBS["canvas.upscale"](UpscaleRequest(image=rgb, tile=0), run_context).image
    assert out.shape == (160, 224, 4)
    assert np.array_equal(out[:, :, :3], opaque)  # colour goes through the model unchanged
    assert out[80, 120, 3] == 255 and out[5, 5, 3] == 0  # inside stays opaque, outside clear


def test_upscale_refuses_results_too_large(run_context, install):
    install("realesrgan-x4plus")
    big = np.zeros((5000, 5000, 3), np.uint8)
    with pytest.raises(BadInput, match="crop or scale"):
        JOBS["canvas.upscale"](UpscaleRequest(image=big), run_context)


def test_low_memory_uses_smaller_tiles(run_context, install):
    install("realesrgan-x4plus")
    img = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    JOBS["canvas.upscale"](UpscaleRequest(image=img, tile=128, overlap=8), run_context)
    assert [r for r in run_context.reports if r[0] == "Upscaling"][-1] == ("Upscaling", 1, 1)
    run_context.low_memory = True  # what the service sets when it retries after an OOM
    JOBS["canvas.upscale"](UpscaleRequest(image=img, tile=128, overlap=8), run_context)
    assert [r for r in run_context.reports if r[0] == "Upscaling"][-1] == ("Upscaling", 4, 4)
    assert all(JOBS[k].low_memory for k in ("canvas.remove", "canvas.fill", "canvas.upscale"))


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_damaged_upscaler_weights_say_so_without_a_traceback(
    run_context, install, store, photo, damage
):
    """A download cut short or a file overwritten: the message says what to do."""
    from studio.pipelines.canvas.upscale import ESRGAN_FILE

    install("realesrgan-x4plus")
    weights = store.require("realesrgan-x4plus") / ESRGAN_FILE
    data = weights.read_bytes()
    weights.unlink()  # installed by hard link: never write through to the shared build
    weights.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"garbage" * 9)
    with pytest.raises(BadInput, match="could not be read; delete and download them again"):
        JOBS["canvas.upscale"](UpscaleRequest(image=photo), run_context)
