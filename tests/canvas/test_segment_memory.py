"""SAM under lean memory plans: ViT-H streamed from system memory gives the same mask, and
falls back to ViT-B only when even the leanest plan runs out of memory, saying so."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.pipelines.canvas import segment
from studio.pipelines.canvas.segment import FALLBACK_NOTE, SegmentRequest, run
from studio.pipelines.memory_plan import MemoryPlan


def _plan(name: str) -> MemoryPlan:
    return MemoryPlan("canvas.segment", name, 1.5, "2 GB card")


def _no_room_for(ctx, model_id: str) -> None:
    """Make ``model_id``'s image encoder fail like a card too small for it."""

    def out_of_memory(*_):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.20 GiB")

    predictor = segment._predictor(ctx, model_id)
    predictor.model.image_encoder.register_forward_pre_hook(out_of_memory)


def test_streamed_vit_h_gives_the_same_mask(run_context, install, photo):
    install("sam-vit-h")
    request = SegmentRequest(image=photo, points=[(60, 40)], labels=[1], model="sam-vit-h")
    resident = run(request, run_context)
    run_context.memory_plan = _plan("sequential_offload")
    run_context.cache.clear()  # a new embedding, computed by the streamed encoder
    streamed = run(request, run_context)
    encoder = segment._predictor(run_context, "sam-vit-h").model.image_encoder
    assert encoder._studio_streamed == ("cpu", True)  # layer by layer
    np.testing.assert_array_equal(streamed.mask, resident.mask)
    assert streamed.model == "sam-vit-h" and streamed.note == ""


def test_vit_b_only_after_the_leanest_plan_fails(run_context, install, photo):
    install("sam-vit-h", "sam-vit-b")
    run_context.memory_plan = _plan("sequential_offload")
    _no_room_for(run_context, "sam-vit-h")
    request = SegmentRequest(image=photo, points=[(60, 40)], labels=[1], model="sam-vit-h")
    result = run(request, run_context)
    assert result.model == "sam-vit-b" and result.note == FALLBACK_NOTE
    assert result.mask.shape == photo.shape[:2]
    assert ("Not enough GPU memory for SAM ViT-H: using SAM ViT-B", 0, 1) in run_context.reports


def test_a_leaner_plan_left_means_the_error_goes_to_the_plan_runner(run_context, install, photo):
    install("sam-vit-h", "sam-vit-b")
    run_context.memory_plan = _plan("model_offload")  # sequential_offload is still left
    _no_room_for(run_context, "sam-vit-h")
    request = SegmentRequest(image=photo, points=[(60, 40)], labels=[1], model="sam-vit-h")
    with pytest.raises(torch.OutOfMemoryError):
        run(request, run_context)
