"""Click-to-segment with Segment Anything (``segment-anything``'s ``Sam``).

The image embedding is computed once per (model, image) and kept in the warm-model cache, so
every further click costs only the prompt encoder and mask decoder. The architecture is read
from the checkpoint's tensor shapes, so ViT-B, ViT-L, ViT-H (and the tiny test models) all go
through the same loader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput
from studio.core.imageio import image_hash, to_array
from studio.pipelines.context import RunContext
from studio.pipelines.memory_plan import plan_for

SAM_MODELS = {"sam-vit-b": "sam_vit_b_01ec64.pth", "sam-vit-h": "sam_vit_h_4b8939.pth"}


@dataclass
class SegmentRequest:
    """Points are ``(x, y)`` in image pixels; labels 1 = include, 0 = exclude.

    ``box`` is ``(x0, y0, x1, y1)``. At least one point or a box is needed.
    """

    image: Any  # PIL image or HxWx3 uint8 array
    points: list[tuple[float, float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    box: tuple[float, float, float, float] | None = None
    model: str = "sam-vit-b"
    multimask: bool = False
    # Caller's name for this exact image content (e.g. a document revision id); saves hashing
    # the pixels on every click. None = hash the pixels.
    image_key: str | None = None


@dataclass
class SegmentResult:
    mask: Any  # HxW uint8, 255 = selected
    score: float
    embedding_reused: bool
    model: str = ""  # the SAM model that answered (ViT-B when ViT-H could not run)
    note: str = ""  # why another model answered, for the user


def _count(prefix: str, keys: Any) -> int:
    idx = {int(k[len(prefix) :].split(".")[0]) for k in keys if k.startswith(prefix)}
    return max(idx) + 1 if idx else 0


def build_sam(state_dict: dict[str, Any]) -> Any:
    """A ``Sam`` whose sizes are inferred from ``state_dict`` (official key names), loaded."""
    from functools import partial

    import torch
    from segment_anything.modeling import (
        ImageEncoderViT,
        MaskDecoder,
        PromptEncoder,
        Sam,
        TwoWayTransformer,
    )

    sd = state_dict
    try:
        patch = sd["image_encoder.patch_embed.proj.weight"]
        embed_dim, patch_size = int(patch.shape[0]), int(patch.shape[-1])
        grid = int(sd["image_encoder.pos_embed"].shape[1])
        img_size = grid * patch_size
        depth = _count("image_encoder.blocks.", sd)
        head_dim = int(sd["image_encoder.blocks.0.attn.rel_pos_h"].shape[1])
        # Global-attention blocks have relative positions over the whole grid; the others
        # over their window, which gives the window size too.
        global_idx, window = [], 14
        for i in range(depth):
            span = int(sd[f"image_encoder.blocks.{i}.attn.rel_pos_h"].shape[0])
            if span == 2 * grid - 1:
                global_idx.append(i)
            else:
                window = (span + 1) // 2
        mlp_ratio = sd["image_encoder.blocks.0.mlp.lin1.weight"].shape[0] / embed_dim
        prompt_dim = int(sd["image_encoder.neck.0.weight"].shape[0])
        mask_in_chans = int(sd["prompt_encoder.mask_downscaling.3.weight"].shape[0])
        dec_depth = _count("mask_decoder.transformer.layers.", sd)
        dec_mlp = int(sd["mask_decoder.transformer.layers.0.mlp.lin1.weight"].shape[0])
        iou_hidden = int(sd["mask_decoder.iou_prediction_head.layers.0.weight"].shape[0])
        iou_depth = _count("mask_decoder.iou_prediction_head.layers.", sd)
        n_masks = _count("mask_decoder.output_hypernetworks_mlps.", sd) - 1
    except KeyError as exc:
        raise BadInput(f"This file is not a Segment Anything checkpoint (no {exc}).") from exc

    sam = Sam(
        image_encoder=ImageEncoderViT(
            depth=depth,
            embed_dim=embed_dim,
            img_size=img_size,
            mlp_ratio=mlp_ratio,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=embed_dim // head_dim,
            patch_size=patch_size,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=tuple(global_idx),
            window_size=window,
            out_chans=prompt_dim,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=prompt_dim,
            image_embedding_size=(grid, grid),
            input_image_size=(img_size, img_size),
            mask_in_chans=mask_in_chans,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=n_masks,
            # SAM's decoder always uses 8 heads (not visible in the weights).
            transformer=TwoWayTransformer(
                depth=dec_depth, embedding_dim=prompt_dim, mlp_dim=dec_mlp, num_heads=8
            ),
            transformer_dim=prompt_dim,
            iou_head_depth=iou_depth,
            iou_head_hidden_dim=iou_hidden,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    sam.load_state_dict(sd, strict=True)
    return sam.eval()


def load_sam(path: Path, device: str = "cpu") -> Any:
    """Load an official ``.pth`` SAM checkpoint safely (``weights_only``) onto ``device``."""
    import torch

    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise BadInput(f"The SAM weights '{path.name}' could not be read.", str(exc)) from exc
    return build_sam(sd).to(device)


def _predictor(ctx: RunContext, model_id: str) -> Any:
    from segment_anything import SamPredictor

    if model_id not in SAM_MODELS:
        raise BadInput(f"Unknown segmentation model '{model_id}' (use {', '.join(SAM_MODELS)}).")
    entry = ctx.store.catalogue.get(model_id)
    plan = plan_for(ctx, "canvas.segment")

    def loader() -> Any:
        path = ctx.store.require(model_id) / SAM_MODELS[model_id]
        sam = load_sam(path, "cpu")
        if ctx.is_cuda:  # fused attention kernels (same function; the CPU math is no faster)
            from studio.pipelines.canvas.speedups import sam_fused_attention

            sam_fused_attention(sam)
        _place(sam, plan, ctx.device)
        return SamPredictor(sam)

    ctx.store.require(model_id)  # ModelMissing before anything else
    predictor = ctx.model(f"sam:{model_id}:{ctx.device}", loader, entry.vram_bytes)
    _place(predictor.model, plan, ctx.device)
    return predictor


def _place(sam: Any, plan: Any, device: str) -> None:
    """The image encoder (ViT-H: 2.4 GB in fp32) whole on the GPU, or streamed from system
    memory block by block (``model_offload``) or layer by layer (``sequential_offload``);
    the prompt encoder and mask decoder (a few MB) always on the GPU."""
    from studio.pipelines.diffusion_loading import stream_blocks, unstream

    if getattr(sam, "_studio_placed", None) == (plan.name, device):
        return
    encoder = sam.image_encoder
    if plan.on_gpu and plan.name in ("model_offload", "sequential_offload"):
        for name, child in sam.named_children():
            if name != "image_encoder":
                child.to(device)
        sam.pixel_mean.data = sam.pixel_mean.data.to(device)
        sam.pixel_std.data = sam.pixel_std.data.to(device)
        stream_blocks(encoder, device, leaf=plan.name == "sequential_offload")
    else:
        unstream(encoder)
        sam.to(device)
    sam._studio_placed = (plan.name, device)


@dataclass
class _Embedding:
    features: Any
    original_size: tuple[int, int]
    input_size: tuple[int, int]

    def parameters(self) -> list[Any]:  # lets the model cache measure it
        return [self.features]

    def buffers(self) -> list[Any]:
        return []


def _autocast(ctx: RunContext) -> Any:
    import contextlib

    import torch

    if ctx.is_cuda:
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def embed(
    ctx: RunContext, predictor: Any, model_id: str, image: Any, image_key: str | None = None
) -> tuple[_Embedding, bool]:
    """The cached image embedding for ``image``, computing it on first use."""
    import torch

    arr = to_array(image)
    key = f"sam-embedding:{model_id}:{ctx.device}:{image_key or image_hash(arr)}"
    reused = key in ctx.cache

    def compute() -> _Embedding:
        ctx.progress("Analysing image", 0, 1)
        with torch.inference_mode(), _autocast(ctx):
            predictor.set_image(arr, image_format="RGB")
        ctx.progress("Analysing image", 1, 1)
        return _Embedding(predictor.features, predictor.original_size, predictor.input_size)

    return ctx.cache.get(key, compute), reused


FALLBACK_NOTE = (
    "SAM ViT-H does not fit in this GPU's memory even streamed from system memory; "
    "this selection used SAM ViT-B (less precise edges)."
)


def run(request: SegmentRequest, ctx: RunContext) -> SegmentResult:
    """Mask for the clicked points / box on ``request.image``.

    ViT-H falls back to ViT-B (if installed) only when it runs out of memory under the
    leanest memory plan, and the result's ``note`` says so."""
    from dataclasses import replace

    from studio.core.device import free_gpu_memory, is_oom

    try:
        return _run(request, ctx)
    except Exception as exc:
        if not is_oom(exc) or request.model != "sam-vit-h":
            raise
        if plan_for(ctx, "canvas.segment").next_down() is not None:
            raise  # a leaner plan is left: the plan runner retries with it
        if not ctx.store.is_installed("sam-vit-b"):
            raise
    free_gpu_memory()  # (ViT-H streamed holds only a few MB of GPU memory)
    ctx.progress("Not enough GPU memory for SAM ViT-H: using SAM ViT-B", 0, 1)
    result = _run(replace(request, model="sam-vit-b"), ctx)
    result.note = FALLBACK_NOTE
    return result


def _run(request: SegmentRequest, ctx: RunContext) -> SegmentResult:
    import numpy as np
    import torch

    arr = to_array(request.image)
    h, w = arr.shape[:2]
    if not request.points and request.box is None:
        raise BadInput("Click on the object (or draw a box) to select it.")
    if len(request.points) != len(request.labels):
        raise BadInput("Each point needs a label (1 = include, 0 = exclude).")
    for x, y in request.points:
        if not (0 <= x < w and 0 <= y < h):
            raise BadInput(f"The point ({x:g}, {y:g}) is outside the {w}x{h} image.")
    box = None
    if request.box is not None:
        x0, y0, x1, y1 = request.box
        if not all(math.isfinite(v) for v in request.box) or x1 <= x0 or y1 <= y0:
            raise BadInput("The box has no area.")
        box = np.array([x0, y0, x1, y1], dtype=np.float32)
    predictor = _predictor(ctx, request.model)
    ctx.check()
    emb, reused = embed(ctx, predictor, request.model, arr, request.image_key)
    ctx.check()
    predictor.features = emb.features
    predictor.original_size, predictor.input_size = emb.original_size, emb.input_size
    predictor.is_image_set = True
    # SamPredictor.predict's steps, but the best mask is chosen on the device and only that
    # one is copied back: for a 12 MP photo the three full-size masks would cost more than
    # the decoder itself.
    dev, size = predictor.device, predictor.original_size
    coords_t = labels_t = box_t = None
    if request.points:
        coords = predictor.transform.apply_coords(np.array(request.points, np.float32), size)
        coords_t = torch.as_tensor(coords, dtype=torch.float, device=dev)[None]
        labels_t = torch.as_tensor(request.labels, dtype=torch.int, device=dev)[None]
    if box is not None:
        box_t = torch.as_tensor(
            predictor.transform.apply_boxes(box, size), dtype=torch.float, device=dev
        )
    multimask = request.multimask or (len(request.points) == 1 and box is None)
    with torch.inference_mode(), _autocast(ctx):
        masks, scores, _ = predictor.predict_torch(
            coords_t, labels_t, box_t, multimask_output=multimask
        )
        best = int(scores[0].argmax())
        mask = (masks[0, best] > 0).to(torch.uint8).mul_(255).cpu().numpy()
    ctx.progress("Segmenting", 1, 1)
    return SegmentResult(
        mask=mask, score=float(scores[0, best]), embedding_reused=reused, model=request.model
    )
