from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput, Cancelled, ModelMissing
from studio.pipelines.canvas import JOBS
from studio.pipelines.canvas.segment import SegmentRequest, run


def _analyses(ctx):
    return [r for r in ctx.reports if r[0] == "Analysing image" and r[1] == 1]


def test_click_returns_image_sized_mask(run_context, install, photo):
    install("sam-vit-b")
    res = run(SegmentRequest(image=photo, points=[(60, 40)], labels=[1]), run_context)
    assert res.mask.shape == photo.shape[:2] and res.mask.dtype == np.uint8
    assert set(np.unique(res.mask)) <= {0, 255}
    assert isinstance(res.score, float)
    assert res.embedding_reused is False


def test_embedding_is_computed_once_per_image(run_context, install, photo):
    install("sam-vit-b")
    run(SegmentRequest(image=photo, points=[(60, 40)], labels=[1]), run_context)
    second = run(
        SegmentRequest(image=photo, points=[(60, 40), (10, 10)], labels=[1, 0]), run_context
    )
    box = run(SegmentRequest(image=photo, box=(20, 20, 90, 70)), run_context)
    assert second.embedding_reused and box.embedding_reused
    assert len(_analyses(run_context)) == 1
    other = photo.copy()
    other[0, 0] ^= 1  # one pixel differs: a different image, a new embedding
    assert not run(
        SegmentRequest(image=other, points=[(5, 5)], labels=[1]), run_context
    ).embedding_reused
    assert len(_analyses(run_context)) == 2


def test_same_prompt_same_mask_after_reuse(run_context, install, photo):
    install("sam-vit-b")
    req = SegmentRequest(image=photo, points=[(30, 50), (100, 20)], labels=[1, 0])
    a = run(req, run_context).mask
    b = run(req, run_context).mask
    assert (a == b).all()


def test_vit_h_is_selectable(run_context, install, photo):
    install("sam-vit-h")
    res = JOBS["canvas.segment"](
        SegmentRequest(image=photo, points=[(60, 40)], labels=[1], model="sam-vit-h"), run_context
    )
    assert res.mask.shape == photo.shape[:2]


def test_missing_model_names_it(run_context, photo):
    with pytest.raises(ModelMissing, match="Segment Anything ViT-B"):
        run(SegmentRequest(image=photo, points=[(1, 1)], labels=[1]), run_context)


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        ({}, "Click"),
        ({"points": [(500, 5)], "labels": [1]}, "outside"),
        ({"points": [(5, 5)], "labels": []}, "label"),
        ({"box": (10, 10, 5, 20)}, "no area"),
        ({"points": [(5, 5)], "labels": [1], "model": "sam-vit-z"}, "Unknown"),
    ],
)
def test_bad_prompts(run_context, install, photo, kwargs, msg):
    install("sam-vit-b")
    with pytest.raises(BadInput, match=msg):
        run(SegmentRequest(image=photo, **kwargs), run_context)


def test_cancel_before_embedding(run_context, install, photo):
    install("sam-vit-b")
    run_context.cancel.cancel()
    with pytest.raises(Cancelled):
        run(SegmentRequest(image=photo, points=[(5, 5)], labels=[1]), run_context)


def test_not_a_sam_checkpoint(run_context, store, photo, tmp_path):
    import torch

    from tests.fixtures.install import install_built

    install_built(
        store,
        "sam-vit-b",
        lambda f: torch.save({"foo": torch.zeros(1)}, f / "sam_vit_b_01ec64.pth"),
    )
    with pytest.raises(BadInput, match="not a Segment Anything"):
        run(SegmentRequest(image=photo, points=[(5, 5)], labels=[1]), run_context)


def test_matches_segment_anythings_own_predictor(run_context, install, built, photo):
    from segment_anything import SamPredictor

    from studio.pipelines.canvas.segment import load_sam

    install("sam-vit-b")
    req = SegmentRequest(
        image=photo, points=[(30, 50), (100, 20)], labels=[1, 0], box=(10, 10, 120, 90)
    )
    ours = run(req, run_context)
    folder, _ = built("sam-vit-b")
    predictor = SamPredictor(load_sam(folder / "sam_vit_b_01ec64.pth"))
    predictor.set_image(photo)
    masks, scores, _ = predictor.predict(
        point_coords=np.array(req.points, np.float32),
        point_labels=np.array(req.labels),
        box=np.array(req.box, np.float32),
        multimask_output=False,
    )
    assert (ours.mask == masks[0].astype(np.uint8) * 255).all()
    assert ours.score == pytest.approx(float(scores[0]), abs=1e-5)
