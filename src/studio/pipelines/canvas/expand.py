"""Expand the canvas (outpainting): grow any side by pixels, or to an aspect ratio.

The new area is pre-filled by LaMa (it continues the photo's edges and textures), then SDXL
inpainting, started from that pre-fill, repaints it (fast LCM mode by default). Near the photo
a feathered seam band blends the SDXL pixels into the LaMa pre-fill, which meets the photo's
edge without a visible step. Every pixel of the original photo is copied back bit for bit.
"""

from __future__ import annotations

import copy
import math
import secrets
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import BadInput
from studio.core.imageio import to_array
from studio.pipelines.canvas.fill import SDXL_INPAINT_ID
from studio.pipelines.canvas.remove import LAMA_ID
from studio.pipelines.context import RunContext

ASPECTS = ("1:1", "4:5", "5:4", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9")
MAX_GROW = 4096  # pixels added on one side
MAX_RESULT_SIDE = 8192  # the expanded image's longer side
MAX_SEAM = 256
ANCHORS = ("center", "left", "right", "top", "bottom")


@dataclass
class ExpandRequest:
    image: Any  # PIL image or HxWx3 uint8 array
    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0
    aspect: str | None = None  # "16:9": grow the short axis (instead of sides)
    anchor: str = "center"  # with an aspect: where the photo stays (center/left/right/top/bottom)
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 8
    fast: bool = True  # LCM-LoRA: 8 steps by default
    strength: float = 0.9  # < 1 keeps some of the LaMa pre-fill's layout
    guidance: float = 1.0
    seed: int | None = None
    seam_px: int = 32  # width of the band where SDXL fades into the LaMa pre-fill
    margin: float = 1.0  # context of the photo the models see, as a fraction of the new strip
    work_side: int = 1024
    model: str = SDXL_INPAINT_ID  # or an imported SDXL checkpoint
    lora: str | None = None  # an imported SDXL LoRA, added at lora_weight
    lora_weight: float = 1.0
    prefill_model: str = LAMA_ID


@dataclass
class ExpandResult:
    image: Any  # HxWx3 uint8, the expanded canvas
    seed: int
    box: tuple[int, int, int, int]  # where the original sits: (x0, y0, x1, y1), end exclusive
    settings: dict[str, Any] = field(default_factory=dict)


def parse_aspect(text: str) -> tuple[int, int]:
    """``"16:9"`` -> ``(16, 9)``; :class:`BadInput` for anything else."""
    parts = str(text).replace("x", ":").replace("/", ":").split(":")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise BadInput(f"The aspect ratio must look like 16:9 (got '{text}').") from None
    if not (1 <= w <= 100 and 1 <= h <= 100):
        raise BadInput(f"The aspect ratio's numbers must be 1 to 100 (got '{text}').")
    return w, h


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"The {name} extension must be a whole number of pixels (got {value!r}).")
    if value < 0:
        raise BadInput(
            f"The {name} extension must not be negative (got {value}); the canvas only grows."
        )
    if value > MAX_GROW:
        raise BadInput(f"The {name} extension must be at most {MAX_GROW} pixels (got {value}).")
    return value


def padding(request: ExpandRequest, width: int, height: int) -> tuple[int, int, int, int]:
    """Pixels added ``(left, top, right, bottom)`` for an image of ``width`` x ``height``."""
    sides = tuple(_whole(getattr(request, n), n) for n in ("left", "top", "right", "bottom"))
    if request.aspect:
        if any(sides):
            raise BadInput("Give either the sides to extend or an aspect ratio, not both.")
        rw, rh = parse_aspect(request.aspect)
        if request.anchor not in ANCHORS:
            raise BadInput(f"The anchor must be one of {', '.join(ANCHORS)}.")
        if width * rh == height * rw:
            raise BadInput(f"The image is already {rw}:{rh}; there is nothing to add.")
        if width * rh < height * rw:  # too narrow: grow the width
            extra = math.ceil(height * rw / rh) - width
            first = {"left": 0, "right": extra}.get(request.anchor, extra // 2)
            sides = (first, 0, extra - first, 0)
        else:  # too wide: grow the height
            extra = math.ceil(width * rh / rw) - height
            first = {"top": 0, "bottom": extra}.get(request.anchor, extra // 2)
            sides = (0, first, 0, extra - first)
    if not any(sides):
        raise BadInput("Give at least one side to extend (in pixels) or an aspect ratio.")
    new_w, new_h = width + sides[0] + sides[2], height + sides[1] + sides[3]
    if max(new_w, new_h) > MAX_RESULT_SIDE:
        raise BadInput(
            f"The expanded image would be {new_w}x{new_h}; its sides must stay at most "
            f"{MAX_RESULT_SIDE} pixels."
        )
    return sides  # type: ignore[return-value]


def seam_weights(shape: tuple[int, int], box: tuple[int, int, int, int], seam_px: int) -> Any:
    """uint8 weights of the SDXL pixels: 0 on the original, rising over ``seam_px`` pixels of
    distance from it to 255 (a ``seam_px`` of 0 is a hard edge)."""
    import numpy as np

    h, w = shape
    x0, y0, x1, y1 = box
    xs, ys = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
    dx = np.maximum(np.maximum(x0 - xs, xs - (x1 - 1)), 0)
    dy = np.maximum(np.maximum(y0 - ys, ys - (y1 - 1)), 0)
    dist = np.sqrt(dy[:, None] ** 2 + dx[None, :] ** 2)
    if seam_px <= 0:
        return np.where(dist > 0, 255, 0).astype(np.uint8)
    return np.clip(np.round(dist / seam_px * 255), 0, 255).astype(np.uint8)


def _check(request: ExpandRequest) -> None:
    """What would otherwise fail only after LaMa ran (fill checks the rest again)."""
    from studio.pipelines import prompt_filter

    prompt_filter.check_prompt(request.prompt, "Describe what the new area should show.")
    if not 1 <= request.steps <= 150:
        raise BadInput("Steps must be between 1 and 150.")
    if request.fast and not 2 <= request.steps <= 12:
        raise BadInput("Fast mode uses 2 to 12 steps (8 works well for expanding).")
    if not 0.0 < request.strength <= 1.0:
        raise BadInput("Strength must be above 0 and at most 1.")
    if isinstance(request.seam_px, bool) or not isinstance(request.seam_px, int):
        raise BadInput(f"The seam band must be a whole number of pixels (got {request.seam_px!r}).")
    if not 0 <= request.seam_px <= MAX_SEAM:
        raise BadInput(f"The seam band must be between 0 and {MAX_SEAM} pixels.")


def run(request: ExpandRequest, ctx: RunContext) -> ExpandResult:
    """Grow the canvas and fill the new area; the original pixels are unchanged bit for bit."""
    import numpy as np

    from studio.pipelines.canvas.fill import FillRequest
    from studio.pipelines.canvas.fill import run as fill
    from studio.pipelines.canvas.remove import RemoveRequest
    from studio.pipelines.canvas.remove import run as remove

    _check(request)
    arr = to_array(request.image)
    h, w = arr.shape[:2]
    left, top, right, bottom = padding(request, w, h)
    box = (left, top, left + w, top + h)
    # Edge-replicated padding: whatever LaMa reads under the hole is at least the photo's colours.
    canvas = np.pad(arr, ((top, bottom), (left, right), (0, 0)), mode="edge")
    hole = np.full(canvas.shape[:2], 255, np.uint8)
    hole[top : top + h, left : left + w] = 0
    seed = secrets.randbelow(2**31) if request.seed is None else int(request.seed)
    fill_request = FillRequest(
        image=canvas,
        mask=hole,
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        steps=request.steps,
        strength=request.strength,
        guidance=request.guidance,
        seed=seed,
        fast=request.fast,
        feather_px=0,  # the seam band below blends; fill must not touch the photo
        margin=request.margin,
        work_side=request.work_side,
        model=request.model,
        lora=request.lora,
        lora_weight=request.lora_weight,
    )

    from studio.pipelines.canvas.fill import check_models, needed_models

    # A wrong model, and one message naming every missing one, before LaMa runs for nothing.
    check_models(ctx.store, request)
    ctx.store.require_all(request.prefill_model, *needed_models(ctx.store, request))
    stage_ctx = _staged(ctx, "Pre-filling")
    prefill = remove(
        RemoveRequest(
            image=canvas,
            mask=hole,
            feather_px=0,
            margin=request.margin,
            max_side=request.work_side,
            model=request.prefill_model,
        ),
        stage_ctx,
    ).image
    ctx.check()
    fill_request.image = prefill
    filled = fill(fill_request, _staged(ctx, "Expanding"))
    ctx.check()
    weights = seam_weights(canvas.shape[:2], box, request.seam_px)[:, :, None].astype(np.uint16)
    out = prefill.astype(np.uint16) * (255 - weights)
    out += filled.images[0].astype(np.uint16) * weights
    out += 127
    out //= 255
    result = out.astype(np.uint8)
    result[top : top + h, left : left + w] = arr  # the photo, bit for bit
    settings = {
        **filled.settings,
        "seed": seed,
        "expand": {"left": left, "top": top, "right": right, "bottom": bottom},
        "aspect": request.aspect,
        "anchor": request.anchor,
        "seam_px": request.seam_px,
        "prefill_model": request.prefill_model,
    }
    settings.pop("seeds", None)
    return ExpandResult(image=result, seed=seed, box=box, settings=settings)


def _staged(ctx: RunContext, stage: str) -> RunContext:
    """``ctx`` whose progress reports the inner pipeline's steps under ``stage`` (model loading
    keeps its own name). A shallow copy: what the executor attached to ``ctx`` (a memory
    plan) travels along, and the cache and cancel token are shared."""
    outer = ctx.progress

    def report(name: str, done: int, total: int, preview: Any = None) -> None:
        outer(name if name.startswith("Loading") else stage, done, total, preview)

    inner = copy.copy(ctx)
    inner.progress = report  # type: ignore[assignment]
    return inner
