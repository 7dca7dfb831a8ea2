from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.canvas import masks


@pytest.fixture
def square():
    m = np.zeros((40, 40), np.uint8)
    m[15:25, 15:25] = 255
    return m


def test_grow_and_shrink(square):
    grown = masks.grow(square, 3)
    assert (grown > 0).sum() > (square > 0).sum()
    assert (grown[square > 0] == 255).all()
    shrunk = masks.shrink(square, 3)
    assert 0 < (shrunk > 0).sum() < (square > 0).sum()
    assert masks.bounding_box(shrunk) == (18, 18, 22, 22)
    assert (masks.grow(square, 0) == square).all()
    with pytest.raises(BadInput):
        masks.grow(square, -1)


def test_feather_softens_edges_only(square):
    soft = masks.feather(square, 4)
    assert soft[20, 20] > 200 and soft[0, 0] == 0
    assert ((soft > 0) & (soft < 255)).any()


def test_invert_clear_apply(square):
    inv = masks.invert(square)
    assert (inv + square == 255).all()
    assert not masks.clear(square).any()
    assert (masks.apply(square, "invert") == inv).all()
    assert masks.bounding_box(masks.clear(square)) is None
    with pytest.raises(BadInput):
        masks.apply(square, "explode")
