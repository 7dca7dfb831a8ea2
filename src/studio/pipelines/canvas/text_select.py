"""Select by words ("the car", "the person on the left"): CLIPSeg, refined by SAM.

CLIPSeg (transformers ``CLIPSegForImageSegmentation``) turns the prompt into a coarse heat map
of the whole image (352 x 352 for the published model). Its thresholded region gives SAM a box
and its hottest point a click; SAM's mask follows the object's real edges at full resolution.
Clicks from the user (``points``/``labels``) join the text's, so words and clicks combine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import BadInput
from studio.core.imageio import to_array
from studio.pipelines.context import RunContext

CLIPSEG_ID = "clipseg-rd64-refined"
MAX_PROMPT = 200


@dataclass
class TextSelectRequest:
    image: Any  # PIL image or HxWx3 uint8 array
    prompt: str
    threshold: float = 0.4  # on CLIPSeg's probability map (0..1)
    refine: bool = True  # SAM follows the object's edges; False: CLIPSeg's own region
    points: list[tuple[float, float]] = field(default_factory=list)  # extra clicks
    labels: list[int] = field(default_factory=list)  # 1 = include, 0 = exclude
    sam_model: str = "sam-vit-b"
    model: str = CLIPSEG_ID


@dataclass
class TextSelectResult:
    mask: Any  # HxW uint8 (0/255), the image's size
    coarse: Any  # HxW uint8, CLIPSeg's thresholded region before SAM
    heat: Any  # HxW float32 probabilities in 0..1
    box: tuple[int, int, int, int] | None  # the box SAM was given
    point: tuple[int, int] | None  # the hottest point, SAM's click
    refined: bool = False


def _check(request: TextSelectRequest) -> str:
    import math

    prompt = " ".join(str(request.prompt or "").split())
    if not prompt:
        raise BadInput("Describe what to select, e.g. 'the red car'.")
    if len(prompt) > MAX_PROMPT:
        raise BadInput(f"Describe the object in at most {MAX_PROMPT} characters.")
    t = request.threshold
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise BadInput("The threshold must be a number between 0 and 1.")
    if not 0.0 < t < 1.0:
        raise BadInput("The threshold must be above 0 and below 1.")
    if len(request.points) != len(request.labels):
        raise BadInput("Each click needs a label (include or exclude).")
    return prompt


def _load(ctx: RunContext, model_id: str) -> Any:
    folder = ctx.store.require(model_id)

    def loader() -> Any:
        from transformers import CLIPSegForImageSegmentation, CLIPSegProcessor

        try:
            processor = CLIPSegProcessor.from_pretrained(folder, local_files_only=True)
            model = CLIPSegForImageSegmentation.from_pretrained(
                folder, local_files_only=True, use_safetensors=True
            )
        except (OSError, ValueError) as exc:
            raise BadInput(
                "The CLIPSeg model could not be loaded; delete and download it again.",
                repr(exc),
            ) from exc
        return processor, model.to(ctx.device).eval()  # type: ignore[arg-type]

    entry = ctx.store.catalogue.get(model_id)
    return ctx.model(f"{model_id}:{ctx.device}", loader, entry.vram_bytes)


def heat_map(ctx: RunContext, image: Any, prompt: str, model_id: str = CLIPSEG_ID) -> Any:
    """CLIPSeg's probability that each pixel shows ``prompt``: HxW float32 in 0..1."""
    import cv2
    import numpy as np
    import torch

    arr = to_array(image)
    processor, model = _load(ctx, model_id)
    inputs = processor(text=[prompt], images=[arr], padding=True, return_tensors="pt")
    with torch.inference_mode():
        logits = model(**{k: v.to(ctx.device) for k, v in inputs.items()}).logits
    small = torch.sigmoid(logits.float()).reshape(logits.shape[-2:]).cpu().numpy()
    h, w = arr.shape[:2]
    return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)


def run(request: TextSelectRequest, ctx: RunContext) -> TextSelectResult:
    """The region ``request.prompt`` describes, as a mask of the image's size."""
    import numpy as np

    from studio.pipelines.canvas.masks import bounding_box
    from studio.pipelines.canvas.segment import SegmentRequest
    from studio.pipelines.canvas.segment import run as segment

    prompt = _check(request)
    # One message naming every missing model, before CLIPSeg loads.
    ctx.store.require_all(request.model, *([request.sam_model] if request.refine else []))
    arr = to_array(request.image)
    ctx.progress("Finding the words", 0, 1)
    heat = heat_map(ctx, arr, prompt, request.model)
    ctx.check()
    coarse = np.where(heat >= request.threshold, 255, 0).astype(np.uint8)
    box = bounding_box(coarse)
    if box is None:
        raise BadInput(
            f"Nothing in the image matched '{prompt}'. Try other words or a lower threshold."
        )
    y, x = np.unravel_index(int(np.argmax(heat)), heat.shape)
    point = (int(x), int(y))
    ctx.progress("Finding the words", 1, 1)
    if not request.refine:
        return TextSelectResult(coarse, coarse, heat, box, point, refined=False)
    sam = segment(
        SegmentRequest(
            image=arr,
            points=[(float(x) + 0.5, float(y) + 0.5), *request.points],
            labels=[1, *request.labels],
            box=tuple(float(v) for v in box),  # type: ignore[arg-type]
            model=request.sam_model,
        ),
        ctx,
    )
    mask = np.asarray(sam.mask, dtype=np.uint8)
    if not mask.any():  # SAM found no object in the box: CLIPSeg's region is the answer
        return TextSelectResult(coarse, coarse, heat, box, point, refined=False)
    return TextSelectResult(mask, coarse, heat, box, point, refined=True)
