"""Every job kind through a real server gives what the local run gives (same request, seed)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.pipelines.jobspec import workspace_jobs
from studio.remote.client import RemoteRunner


def both(server, kind, request, local_ctx, remote_ctx):
    """(local result, remote result) of one request."""
    local = workspace_jobs()[kind](request, local_ctx)
    remote = RemoteRunner(server.client(), kind)(request, remote_ctx)
    return local, remote


def stages(ctx):
    return [r[0] for r in ctx.reports]


@pytest.fixture
def remote_ctx(model_store):
    from tests.server.conftest import recording_context

    return recording_context(model_store)


def square_mask(shape, y0=30, y1=60, x0=40, x1=80):
    mask = np.zeros(shape[:2], np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


def test_canvas_remove_round_trip(server, photo, local_ctx, remote_ctx):
    from studio.pipelines.canvas.remove import RemoveRequest

    request = RemoveRequest(image=photo, mask=square_mask(photo.shape), max_side=64)
    local, remote = both(server, "canvas.remove", request, local_ctx, remote_ctx)
    assert remote.image.dtype == np.uint8 and remote.image.shape == photo.shape
    assert np.array_equal(remote.image, local.image)
    assert np.array_equal(remote.alpha, local.alpha)
    assert remote.window == local.window
    assert set(stages(local_ctx)) <= set(stages(remote_ctx))  # the same stages, reported
