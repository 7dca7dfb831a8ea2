"""Generative fill with SDXL inpainting (diffusers ``StableDiffusionXLInpaintPipeline``).

Like removal, a context window around the mask runs at the model's working resolution and
only the feathered mask is pasted back. Fast mode adds LCM-LoRA and the LCM scheduler
(4-8 steps, low guidance). Several variations come from consecutive seeds in one batch.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import BadInput
from studio.core.imageio import check_mask, to_array
from studio.pipelines import prompt_filter
from studio.pipelines.canvas import compose
from studio.pipelines.canvas.spandrel_models import to_tensor, to_uint8
from studio.pipelines.context import RunContext

SDXL_INPAINT_ID = "sdxl-inpaint"
LCM_LORA_ID = "lcm-lora-sdxl"
# Optional: SDXL's VAE overflows in fp16, so diffusers runs it in fp32 (force_upcast) and casts
# it back and forth on every call. When this fp16-safe VAE is installed it replaces it.
VAE_FIX_ID = "sdxl-vae-fp16-fix"


@dataclass
class FillRequest:
    image: Any
    mask: Any
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 30
    strength: float = 0.99
    guidance: float = 7.0
    seed: int | None = None  # None = random; variation i uses seed + i
    variations: int = 1
    fast: bool = False  # LCM-LoRA: 4-8 steps, guidance about 1
    feather_px: int = 8
    margin: float = 0.5
    work_side: int = 1024  # the window's longer side is scaled (up or down) to this
    model: str = SDXL_INPAINT_ID  # or an imported SDXL checkpoint ("user-...")
    lora: str | None = None  # an imported SDXL LoRA, added at lora_weight
    lora_weight: float = 1.0


@dataclass
class FillResult:
    images: list[Any]  # HxWx3 uint8 each, one per variation
    seeds: list[int]
    window: compose.Window
    alpha: Any
    settings: dict[str, Any] = field(default_factory=dict)  # what was used (for metadata)


def _check(request: FillRequest) -> None:
    import math

    from studio.pipelines.canvas import masks

    if not 1 <= request.variations <= 8:
        raise BadInput("Choose between 1 and 8 variations.")
    if not 1 <= request.steps <= 150:
        raise BadInput("Steps must be between 1 and 150.")
    if request.fast and not 2 <= request.steps <= 12:
        raise BadInput("Fast mode uses 2 to 12 steps (4 to 8 work best).")
    if not 0.0 < request.strength <= 1.0:
        raise BadInput("Strength must be above 0 and at most 1.")
    if not math.isfinite(request.guidance) or request.guidance > 50:
        raise BadInput("Guidance must be between 0 and 50.")
    if request.seed is not None and not 0 <= int(request.seed) <= masks.MAX_SEED:
        raise BadInput(f"The seed must be between 0 and {masks.MAX_SEED}.")
    masks.check_blend(request.feather_px, request.margin)
    masks.check_side(request.work_side, "working size")
    if request.guidance < 0:
        raise BadInput("Guidance must not be negative.")
    prompt_filter.check_prompt(request.prompt, "Describe what should fill the area instead.")


def check_models(store: Any, request: Any) -> None:
    """:class:`BadInput` unless ``request.model`` is a model Fill paints with and
    ``request.lora`` (if any) an SDXL LoRA at a usable weight (Expand asks the same)."""
    from studio.pipelines.canvas import own_models

    own_models.check_fill_model(store, request.model)
    if request.lora:
        own_models.check_lora(store, request.lora, request.lora_weight)


def needed_models(store: Any, request: Any) -> list[str]:
    """Every model id a fill (or expand) ``request`` loads, for one message naming all that
    are missing: the model (and for a checkpoint of yours, SDXL inpainting's configs), the
    LCM-LoRA in fast mode, the LoRA."""
    from studio.pipelines.canvas import own_models

    own = store.catalogue.get(request.model).task == "checkpoint"
    needed = [request.model] + ([own_models.CONFIG_ID] if own else [])
    needed += [LCM_LORA_ID] if request.fast else []
    return needed + ([request.lora] if request.lora else [])


def _load_vae_fix(folder: Any, device: str, dtype: Any) -> Any:
    from diffusers import AutoencoderKL

    try:
        vae = AutoencoderKL.from_pretrained(folder, torch_dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise BadInput(
            "The fp16-fix SDXL VAE could not be loaded; delete and download it again.",
            detail=repr(exc),
        ) from exc
    return vae.to(device).eval()


def keep_vae_fp32(vae: Any) -> None:
    """Keep SDXL's own VAE (it overflows in fp16) in fp32 for good.

    With ``force_upcast`` diffusers casts its 84 M weights to fp32 and back around every
    encode and decode (four casts per fill, about 40 ms on a fast GPU). Here the weights
    stay fp32 and only the inputs are cast: the same fp32 arithmetic on the same values.
    """
    import torch

    if getattr(vae, "_studio_fp32", False) or not getattr(vae.config, "force_upcast", False):
        return
    encode, decode = vae.encode, vae.decode
    vae.to(torch.float32)
    vae.encode = lambda x, *a, **k: encode(x.float(), *a, **k)
    vae.decode = lambda z, *a, **k: decode(z.float(), *a, **k)
    vae.register_to_config(force_upcast=False)  # diffusers: no casts around the calls
    vae._studio_fp32 = True


def _pipeline(ctx: RunContext, request: FillRequest) -> Any:
    from studio.pipelines.canvas import own_models
    from studio.pipelines.diffusion_loading import apply_plan, load_sdxl_pipeline
    from studio.pipelines.memory_plan import plan_for

    # Resident, text encoders on demand, model or sequential offload (memory_plan.py); the
    # same cached pipeline is re-placed when a later job (or the OOM fallback) plans otherwise.
    plan = plan_for(ctx, "canvas.fill")

    entry = own_models.check_fill_model(ctx.store, request.model)
    own = entry.task == "checkpoint"  # imported: configs come from the SDXL inpainting model
    ctx.store.require_all(*needed_models(ctx.store, request))  # one message for all missing
    folder = ctx.store.require(request.model)
    lora_folder = ctx.store.require(LCM_LORA_ID) if request.fast else None
    # The fp16-safe VAE replaces SDXL's own; a checkpoint of yours keeps the VAE it holds.
    fix = not own and ctx.store.is_installed(VAE_FIX_ID)
    vae_folder = ctx.store.require(VAE_FIX_ID) if fix else None

    def loader() -> Any:
        if own:
            pipe = own_models.load_imported_sdxl(ctx.store, request.model, "cpu", ctx.dtype)
            apply_plan(pipe, plan, ctx.device)
        else:
            extra = {}
            if vae_folder is not None:  # passed in, so SDXL's own VAE is never loaded
                extra["vae"] = _load_vae_fix(vae_folder, "cpu", ctx.dtype)  # placed with the rest
            pipe = load_sdxl_pipeline(
                folder, ctx.device, ctx.dtype, inpaint=True, plan=plan, **extra
            )
        if ctx.is_cuda and vae_folder is None:
            keep_vae_fp32(pipe.vae)
        pipe._studio_base_scheduler = pipe.scheduler  # restored when fast mode is off
        pipe._studio_lcm_scheduler = None  # made once: from_config on every run costs ms
        pipe._studio_lcm = False  # LCM-LoRA loaded
        pipe._studio_fused = False  # ... and merged into the UNet weights
        return pipe

    # One warm pipeline per model id: switching models (yours, the catalogue's) swaps them.
    key = f"{request.model}:{ctx.device}" + (":vae-fp16-fix" if vae_folder else "")
    pipe = ctx.model(key, loader, entry.vram_bytes)
    own_models.set_adapters(
        pipe, ctx.store, lora_folder, request.lora or None, float(request.lora_weight)
    )
    if request.fast:
        from diffusers import LCMScheduler

        if getattr(pipe, "_studio_lcm_scheduler", None) is None:
            pipe._studio_lcm_scheduler = LCMScheduler.from_config(
                pipe._studio_base_scheduler.config
            )
        pipe.scheduler = pipe._studio_lcm_scheduler
    else:
        pipe.scheduler = pipe._studio_base_scheduler
    apply_plan(pipe, plan, ctx.device)
    _graphs(pipe, ctx, plan)
    return pipe


def _graphs(pipe: Any, ctx: RunContext, plan: Any) -> None:
    """UNet steps replayed from CUDA graphs when the whole pipeline sits on the GPU
    (:mod:`studio.pipelines.canvas.unet_graph`: eager whenever a replay would not be safe)."""
    from studio.core.device import experimental_enabled
    from studio.pipelines.canvas import unet_graph

    resident = plan.name == "resident" and not (ctx.low_memory or plan.attention_slicing)
    if not (ctx.is_cuda and resident and experimental_enabled("fill-cuda-graphs")):
        unet_graph.disable(pipe.unet)
        return
    graphed = unet_graph.installed(pipe.unet)
    if graphed is None and _free_gib(ctx.device) >= GRAPH_HEADROOM_GIB:
        graphed = unet_graph.enable(pipe.unet)
    if graphed is not None:  # peft's adapter switches live outside the weights
        graphed.token = pipe._studio_adapters


# A captured graph keeps its activations (about 2 GiB at 1024^2) in a private pool for as
# long as the pipeline stays warm: only where that leaves other jobs room.
GRAPH_HEADROOM_GIB = 8.0


def _free_gib(device: str) -> float:
    import torch

    try:
        free, _total = torch.cuda.mem_get_info(torch.device(device))
    except Exception:  # noqa: BLE001 - unknown: do not risk it
        return 0.0
    return free / 2**30


def run(request: FillRequest, ctx: RunContext) -> FillResult:
    """Fill the masked region from the prompt; the rest of the photo is untouched."""
    import numpy as np
    import torch

    _check(request)
    check_models(ctx.store, request)
    arr = to_array(request.image)
    h, w = arr.shape[:2]
    mask = check_mask(request.mask, (w, h))
    alpha = compose.blend_alpha(mask, request.feather_px)
    window = compose.context_window(alpha, request.margin)
    pipe = _pipeline(ctx, request)
    ctx.check()
    scale = request.work_side / max(window.width, window.height)
    size = (
        max(64, round(window.width * scale / 64) * 64),
        max(64, round(window.height * scale / 64) * 64),
    )
    # Tensors on the device in [0, 1]: diffusers then skips its PIL -> numpy -> float path on
    # the CPU (the same values: uint8 / 255 in float32 either way).
    crop = to_tensor(compose.resize(window.crop(arr), size), ctx.device, torch.float32)
    hole = to_tensor(
        compose.resize((window.crop(alpha) > 0).astype(np.uint8) * 255, size, nearest=True),
        ctx.device,
        torch.float32,
    )
    seed = secrets.randbelow(2**31) if request.seed is None else int(request.seed)
    seeds = [seed + i for i in range(request.variations)]
    generators = [torch.Generator(device="cpu").manual_seed(s) for s in seeds]
    guidance = request.guidance if not request.fast else min(request.guidance, 2.0)

    def on_step(pipeline: Any, step: int, timestep: Any, kwargs: dict) -> dict:
        ctx.check()  # raises Cancelled: diffusers stops and nothing is returned
        total = getattr(pipeline, "num_timesteps", None) or request.steps
        ctx.progress("Filling", min(step + 1, total), total)
        return kwargs

    ctx.progress("Filling", 0, request.steps)
    out = pipe(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt or None,
        image=crop,
        mask_image=hole,
        width=size[0],
        height=size[1],
        num_inference_steps=request.steps,
        strength=request.strength,
        guidance_scale=guidance,
        num_images_per_prompt=request.variations,
        generator=generators,
        output_type="pt",
        callback_on_step_end=on_step,
    ).images
    ctx.check()
    images = []
    for frame in out:  # 3xHxW in [0, 1]: to uint8 on the device, then download
        patch = to_uint8(frame[None])
        patch = compose.resize(patch, (window.width, window.height))
        images.append(compose.paste_back(arr, patch, window, alpha))
    settings = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "steps": request.steps,
        "strength": request.strength,
        "guidance": guidance,
        "fast": request.fast,
        "model": request.model,
        "seeds": seeds,
    }
    if request.lora:
        settings.update(lora=request.lora, lora_weight=float(request.lora_weight))
    return FillResult(images=images, seeds=seeds, window=window, alpha=alpha, settings=settings)
