"""Rendering onto a video avatar: each output frame is pasted into the clip frame that the
forward-backward loop shows at that moment, with that frame's face crop, mask and latents.

The clip already moves and blinks, so no idle sway or synthetic blinks are added. The clip's
frames stay on the device as uint8 (a quarter of float32's memory) and are converted per batch.
"""

from __future__ import annotations

from typing import Any

from studio.pipelines.context import RunContext
from studio.pipelines.lipsync.render import Compositor
from studio.pipelines.lipsync.video_avatar import PreparedVideoAvatar, ping_pong


class VideoCompositor(Compositor):
    """A :class:`Compositor` whose background, crop box and mask change every frame."""

    def __init__(self, ctx: RunContext, avatar: PreparedVideoAvatar) -> None:
        import torch

        # Not Compositor.__init__: that one prepares a single photo frame and box.
        self.device = ctx.device
        self.count = len(avatar)
        self.frames = torch.from_numpy(avatar.frames).to(ctx.device)  # (n, H, W, 3) uint8
        self.masks = torch.from_numpy(avatar.masks).to(ctx.device)  # (n, 256, 256)
        self.boxes = [tuple(int(v) for v in b) for b in avatar.boxes]
        self.latents = torch.from_numpy(avatar.latents).to(ctx.device, ctx.dtype)
        self.idle = False
        self.lid_shift = None
        self._last: Any = None
        self._pending: list[tuple[Any, Any]] = []

    def indices(self, start: int, end: int) -> list[int]:
        """The clip frames shown at output frames ``start`` .. ``end - 1``."""
        return [ping_pong(k, self.count) for k in range(start, end)]

    def latents_for(self, start: int, end: int) -> Any:
        """(end - start, 8, 32, 32) latents of the clip frames shown there."""
        import torch

        index = torch.tensor(self.indices(start, end), device=self.latents.device)
        return self.latents.index_select(0, index)

    def composite(self, crops: Any, start: int) -> Any:
        import torch
        import torch.nn.functional as F

        out = []
        for i, j in enumerate(self.indices(start, start + crops.shape[0])):
            frame = self.frames[j].permute(2, 0, 1).float() / 255
            x0, y0, x1, y1 = self.boxes[j]
            size = (y1 - y0, x1 - x0)
            gen = F.interpolate(
                crops[i : i + 1].to(self.device), size=size, mode="bilinear", align_corners=False
            )[0]
            mask = F.interpolate(
                self.masks[j][None, None], size=size, mode="bilinear", align_corners=False
            )[0]
            region = frame[:, y0:y1, x0:x1]
            frame[:, y0:y1, x0:x1] = region * (1 - mask) + gen * mask
            out.append(frame)
        return torch.stack(out).clamp_(0, 1)
