"""The canvas pipelines refuse impossible settings themselves (the GUI and the service call
them without the CLI's checks): BadInput before any model is looked up."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput

IMAGE = np.full((32, 48, 3), 100, np.uint8)
MASK = np.zeros((32, 48), np.uint8)
MASK[8:16, 8:16] = 255


def _remove(**kw):
    from studio.pipelines.canvas.remove import RemoveRequest, run

    return run, RemoveRequest(image=IMAGE, mask=MASK, **kw)


def _fill(**kw):
    from studio.pipelines.canvas.fill import FillRequest, run

    return run, FillRequest(image=IMAGE, mask=MASK, **kw)


def _upscale(**kw):
    from studio.pipelines.canvas.upscale import UpscaleRequest, run

    return run, UpscaleRequest(image=IMAGE, **kw)


def _segment(**kw):
    from studio.pipelines.canvas.segment import SegmentRequest, run

    return run, SegmentRequest(image=IMAGE, **kw)


def _cutout(**kw):
    from studio.pipelines.canvas.cutout import CutoutRequest, run

    return run, CutoutRequest(image=IMAGE, **kw)


@pytest.mark.parametrize(
    ("make", "kw", "match"),
    [
        (_remove, {"feather_px": 100000}, "feather"),
        (_remove, {"feather_px": -1}, "feather"),
        (_remove, {"feather_px": 2.5}, "feather"),
        (_remove, {"margin": float("nan")}, "margin"),
        (_remove, {"max_side": 0}, "working size"),
        (_fill, {"feather_px": 100000}, "feather"),
        (_fill, {"guidance": float("nan")}, "Guidance"),
        (_fill, {"guidance": -1.0}, "Guidance"),
        (_fill, {"seed": 2**70}, "seed"),
        (_fill, {"seed": -1}, "seed"),
        (_fill, {"steps": 0}, "Steps"),
        (_fill, {"strength": float("nan")}, "Strength"),
        (_fill, {"work_side": 10**6}, "working size"),
        (_upscale, {"tile": -1}, "tile"),
        (_upscale, {"tile": 4}, "tile"),
        (_upscale, {"overlap": -2}, "overlap"),
        (_segment, {"box": (0.0, 0.0, float("nan"), 5.0)}, "box"),
        (_segment, {"points": [(float("nan"), 3.0)], "labels": [1]}, "outside"),
        (_cutout, {"background": (300, 0, 0)}, "background"),
    ],
)
def test_impossible_settings(run_context, make, kw, match):
    run, request = make(**kw)
    with pytest.raises(BadInput, match=match):
        run(request, run_context)  # the store is empty: a model lookup would say so instead


def test_mask_operations_are_bounded():
    from studio.pipelines.canvas import masks

    for op in ("grow", "shrink", "feather"):
        with pytest.raises(BadInput, match="at most"):
            masks.apply(MASK, op, 100000)
        with pytest.raises(BadInput, match="negative"):
            masks.apply(MASK, op, -1)
