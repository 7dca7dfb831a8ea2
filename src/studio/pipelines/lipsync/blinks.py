"""Blinks for a still avatar: the upper eyelid is drawn down over each eye for ~0.24 s.

MuseTalk regenerates only the mouth, so the eyes of a photo never move. A blink here is a
small image warp folded into the idle-motion sampling grid: inside a soft window around each
eye, pixels are sampled from a little higher up, so the lid's skin slides over the eye and
back. Blinks come every 2.5-5.5 s on a fixed pseudo-random schedule (the same audio and
avatar give the same video).
"""

from __future__ import annotations

import math
from typing import Any

FPS = 25
BLINK_FRAMES = 6  # 0.24 s: a natural blink
FIRST_BLINK_S = 1.2


def blink_starts(n_frames: int) -> list[int]:
    """Frame indices where blinks begin, for a video of ``n_frames``."""
    starts, t, k = [], FIRST_BLINK_S, 0
    while (frame := int(round(t * FPS))) < n_frames:
        starts.append(frame)
        k += 1
        jitter = (math.sin(k * 12.9898) * 43758.5453) % 1.0  # deterministic, spread in [0, 1)
        t += 2.5 + 3.0 * jitter
    return starts


def closure(frame: int) -> float:
    """How far the eyes are closed (0 open, 1 shut) at ``frame``."""
    for start in blink_starts(frame + 1):
        if start <= frame < start + BLINK_FRAMES:
            return math.sin(math.pi * (frame - start + 0.5) / BLINK_FRAMES)
    return 0.0


def lid_shift_field(eyes: Any, size: int, device: Any) -> Any:
    """(size, size) tensor: the upward sampling shift, in pixels, at full closure.

    Around each eye a window of about the eye's width; the shift peaks on the eye (a sixth of
    the distance between the eyes: enough to cover the iris with lid) and fades to 0 at the
    window's edge, so nothing outside the eyes moves.
    """
    import torch

    ys = torch.arange(size, device=device, dtype=torch.float32)[:, None]
    xs = torch.arange(size, device=device, dtype=torch.float32)[None, :]
    (lx, ly), (rx, ry) = [(float(x), float(y)) for x, y in eyes]
    dist = max(8.0, math.hypot(rx - lx, ry - ly))
    field = torch.zeros(size, size, device=device)
    for ex, ey in ((lx, ly), (rx, ry)):
        wx, wy = 0.30 * dist, 0.30 * dist
        u = ((xs - ex) / wx).clamp(-1, 1)
        v = ((ys - ey) / wy).clamp(-1, 1)
        window = torch.cos(u * math.pi / 2) ** 2 * torch.cos(v * math.pi / 2) ** 2
        field = torch.maximum(field, window * 0.17 * dist)
    return field
