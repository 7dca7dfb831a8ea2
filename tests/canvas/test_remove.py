from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput, Cancelled, ModelMissing
from studio.pipelines.canvas import JOBS, compose
from studio.pipelines.canvas.remove import RemoveRequest, run


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(40, 140)), int(rng.integers(40, 140))
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 4))):  # a few random rectangles and dots
        x0, y0 = int(rng.integers(0, w - 4)), int(rng.integers(0, h - 4))
        mask[y0 : y0 + int(rng.integers(1, 30)), x0 : x0 + int(rng.integers(1, 30))] = 255
    return image, mask, int(rng.integers(0, 10))


@pytest.mark.parametrize("seeds", [range(0, 4), range(4, 8)])
def test_pixels_outside_the_feathered_mask_are_unchanged(run_context, install, seeds):
    install("lama-big")
    for seed in seeds:  # one model load, several random images and masks
        _check_case(run_context, *_random_case(seed))


def _check_case(run_context, image, mask, feather):
    before = image.copy()
    res = run(RemoveRequest(image=image, mask=mask, feather_px=feather, max_side=64), run_context)
    assert res.image.shape == image.shape and res.image.dtype == np.uint8
    assert (image == before).all()  # the input is not modified in place
    outside = res.alpha == 0
    assert outside.any()
    assert (res.image[outside] == image[outside]).all()
    assert (res.alpha[mask > 0] == 255).all()  # every selected pixel is replaced fully
    # Only pixels inside the context window can change.
    keep = np.ones(mask.shape, bool)
    keep[res.window.y0 : res.window.y1, res.window.x0 : res.window.x1] = False
    assert (res.image[keep] == image[keep]).all()


def test_remove_via_job_reports_progress(run_context, install, photo):
    install("lama-big")
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[40:60, 50:80] = 255
    res = JOBS["canvas.remove"](RemoveRequest(image=photo, mask=mask), run_context)
    assert (res.image[res.alpha == 0] == photo[res.alpha == 0]).all()
    assert not (res.image[mask > 0] == photo[mask > 0]).all()  # the object did change
    assert ("Removing", 1, 1) in run_context.reports


def test_bad_masks_and_missing_model(run_context, install, photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    with pytest.raises(BadInput, match="empty"):
        run(RemoveRequest(image=photo, mask=mask), run_context)
    with pytest.raises(BadInput, match="same size"):
        run(RemoveRequest(image=photo, mask=np.ones((10, 10), np.uint8)), run_context)
    mask[5:10, 5:10] = 255
    with pytest.raises(ModelMissing, match="LaMa"):
        run(RemoveRequest(image=photo, mask=mask), run_context)
    install("lama-big")
    run_context.cancel.cancel()
    with pytest.raises(Cancelled):
        run(RemoveRequest(image=photo, mask=mask), run_context)


def test_context_window_and_working_size():
    alpha = np.zeros((100, 200), np.uint8)
    alpha[40:50, 190:200] = 255
    win = compose.context_window(alpha, margin=0.5, min_margin=8)
    assert win.x1 == 200 and win.x0 <= 182 and win.y0 <= 32 and win.y1 >= 58
    assert win.width % 8 == 0 and win.height % 8 == 0
    assert compose.working_size(2000, 1000, 1024) == (1024, 512)
    small = compose.working_size(100, 60, 1024)  # never scaled up, only snapped to 8
    assert small[0] % 8 == 0 and small[1] % 8 == 0
    assert abs(small[0] - 100) <= 4 and abs(small[1] - 60) <= 4


def test_blend_alpha_on_a_crop_equals_the_whole_image():
    from studio.pipelines.canvas import masks

    rng = np.random.default_rng(3)
    for _ in range(5):
        mask = np.zeros((120, 160), np.uint8)
        x, y = int(rng.integers(0, 150)), int(rng.integers(0, 110))
        mask[y : y + int(rng.integers(1, 40)), x : x + int(rng.integers(1, 40))] = 255
        feather = int(rng.integers(1, 12))
        whole = np.maximum(masks.feather(masks.grow(mask, feather), feather), mask)
        assert (compose.blend_alpha(mask, feather) == whole).all()


def test_paste_back_blend_is_exact_at_the_ends_and_rounds_between():
    import numpy as np

    from studio.pipelines.canvas import compose

    rng = np.random.default_rng(0)
    for _ in range(5):
        img = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
        win = compose.Window(5, 3, 45, 35)
        patch = rng.integers(0, 256, (win.height, win.width, 3), dtype=np.uint8)
        mask = np.zeros((40, 50), np.uint8)
        mask[10:25, 12:30] = 255
        alpha = compose.blend_alpha(mask, 3)
        out = compose.paste_back(img, patch, win, alpha)
        region, a = win.crop(out), win.crop(alpha)
        assert (out[alpha == 0] == img[alpha == 0]).all()
        assert (region[a == 255] == patch[a == 255]).all()
        w = a.astype(np.float64)[:, :, None] / 255
        ref = win.crop(img) * (1 - w) + patch * w
        assert np.abs(region - ref).max() <= 0.5 + 1e-9  # correctly rounded blend
