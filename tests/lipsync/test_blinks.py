"""Blinks: a fixed natural schedule, and a warp that covers the eyes and touches nothing else."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from studio.pipelines.lipsync import blinks
from studio.pipelines.lipsync.render import Compositor


def test_blinks_come_every_few_seconds_and_last_a_quarter_second():
    starts = blinks.blink_starts(25 * 60)
    assert starts[0] == 30  # 1.2 s in
    gaps = np.diff(starts) / 25
    assert len(starts) >= 10 and gaps.min() >= 2.5 and gaps.max() <= 5.5
    shut = [blinks.closure(i) for i in range(starts[0] - 2, starts[0] + 8)]
    assert shut[:2] == [0.0, 0.0] and shut[-2:] == [0.0, 0.0]
    assert max(shut) > 0.95  # fully closed mid-blink
    assert sum(s > 0 for s in shut) == blinks.BLINK_FRAMES


def _avatar(with_eyes: bool):
    frame = np.full((512, 512, 3), 200, np.uint8)  # skin
    eyes = np.array([[200.0, 220.0], [312.0, 220.0]], np.float32)
    for x, y in eyes:  # dark irises
        frame[int(y) - 8 : int(y) + 8, int(x) - 8 : int(x) + 8] = 20
    return SimpleNamespace(
        frame=frame,
        box=(128, 128, 384, 384),
        mask=np.zeros((256, 256), np.float32),  # paste nothing: only the idle motion shows
        eyes=eyes if with_eyes else None,
    )


def test_blink_covers_the_eyes_and_leaves_the_rest_alone():
    ctx = SimpleNamespace(device="cpu")
    crops = torch.zeros(1, 3, 256, 256)
    blinking, still = Compositor(ctx, _avatar(True), True), Compositor(ctx, _avatar(False), True)
    peak = blinks.blink_starts(100)[0] + blinks.BLINK_FRAMES // 2
    open_frame = peak - 10
    a = blinking.composite(crops, open_frame)[0]
    b = still.composite(crops, open_frame)[0]
    assert torch.equal(a, b)  # between blinks the eyes warp nothing
    shut = blinking.composite(crops, peak)[0]
    ref = still.composite(crops, peak)[0]
    iris = (slice(None), slice(214, 226), slice(194, 206))
    assert ref[iris].mean() < 0.25 and shut[iris].mean() > 0.6  # lid skin over the iris
    far = (slice(None), slice(300, 512), slice(None))
    assert torch.equal(shut[far], ref[far])  # below the eyes, nothing moved
