"""Load what the user imported (``studio models import``): an SDXL checkpoint as a pipeline,
a LoRA into one.

diffusers' ``from_single_file`` converts the original (LDM / SGM) key layout; the component
configs, tokenizers and scheduler come from the installed diffusers SDXL (``sdxl-inpaint``),
so nothing is fetched from the hub. A base (4-channel) checkpoint gets a 4-channel UNet:
SDXL's inpainting pipeline then inpaints by blending latents, as in other tools.
"""

from __future__ import annotations

from typing import Any

from studio.core.errors import BadInput
from studio.models.store import ModelStore

CONFIG_ID = "sdxl-inpaint"  # the diffusers SDXL whose configs and tokenizers are used
LCM_LORA_ID = "lcm-lora-sdxl"  # fast mode's own LoRA (fill.py adds it)


def load_imported_sdxl(
    store: ModelStore, model_id: str, device: str, dtype: Any, *, inpaint: bool = True
) -> Any:
    """An SDXL (inpainting) diffusers pipeline from the imported checkpoint ``model_id``."""
    from diffusers import (
        StableDiffusionXLInpaintPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )

    from studio.models.imports import CHECKPOINT_FILE

    entry = store.catalogue.get(model_id)
    if entry.task != "checkpoint":
        raise BadInput(f"'{entry.name}' is not a checkpoint (it is a {entry.task}).")
    path = str(store.require(model_id) / CHECKPOINT_FILE)
    config = str(store.require(CONFIG_ID))
    in_channels = 9 if entry.extra.get("inpaint") else 4
    cls = StableDiffusionXLInpaintPipeline if inpaint else StableDiffusionXLPipeline
    common = {"config": config, "local_files_only": True, "torch_dtype": dtype}
    try:
        # The UNet separately: its channel count is the checkpoint's, not the config's.
        unet = UNet2DConditionModel.from_single_file(
            path, subfolder="unet", in_channels=in_channels, **common
        )
        pipe = cls.from_single_file(path, unet=unet, **common)
        pipe.set_progress_bar_config(disable=True)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise BadInput(
            f"'{entry.name}' could not be loaded as an SDXL checkpoint; import it again or "
            "check that it is a complete SDXL model.",
            repr(exc),
        ) from exc
    return pipe.to(device)


def load_imported_lora(pipe: Any, store: ModelStore, model_id: str, weight: float = 1.0) -> str:
    """Load the imported LoRA ``model_id`` into ``pipe`` at ``weight`` (a Headshots style or
    Fill may name one); returns its adapter name. Loaded once per pipeline."""
    import math

    from studio.pipelines.diffusion_loading import load_lora

    entry = store.catalogue.get(model_id)
    if entry.task != "lora":
        raise BadInput(f"'{entry.name}' is not a LoRA (it is a {entry.task}).")
    if not math.isfinite(weight) or not -4.0 <= weight <= 4.0:
        raise BadInput("A LoRA's weight must be between -4 and 4.")
    adapter = _adapter(model_id)
    if adapter not in pipe.get_list_adapters().get("unet", []):
        try:
            load_lora(pipe, store.require(model_id), adapter_name=adapter)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise BadInput(
                f"'{entry.name}' does not fit this model; a LoRA must be made for SDXL.",
                repr(exc),
            ) from exc
    pipe.set_adapters([adapter], [float(weight)])
    return adapter


# --- what Fill (and Expand, which fills through it) may name ---

FILL_TASKS = ("fill", "checkpoint")  # the catalogue's SDXL inpainting, imported checkpoints


def check_fill_model(store: ModelStore, model_id: str) -> Any:
    """The catalogue entry of ``model_id`` if Fill can paint with it (the SDXL inpainting
    model or an imported SDXL checkpoint); :class:`BadInput` saying why not otherwise."""
    entry = _entry_or_refuse(store, model_id, "model")
    if entry.task == "lora":
        raise BadInput(
            f"'{entry.name}' is a LoRA, not a model to fill with; choose it as the LoRA "
            "(--lora) and keep an SDXL model."
        )
    if entry.task not in FILL_TASKS:
        raise BadInput(
            f"'{entry.name}' is not a model Fill can paint with (it is a {entry.task} model); "
            "use SDXL inpainting or an SDXL checkpoint you imported."
        )
    return entry


def check_lora(store: ModelStore, model_id: str, weight: float) -> Any:
    """The entry of the LoRA ``model_id`` if Fill can add it at ``weight``; :class:`BadInput`
    for a model of another kind or architecture, or a weight out of range."""
    import math

    from studio.models.imports import LICENCE as IMPORTED_LICENCE

    entry = _entry_or_refuse(store, model_id, "LoRA")
    if entry.task != "lora":
        raise BadInput(f"'{entry.name}' is not a LoRA (it is a {entry.task}).")
    if model_id == LCM_LORA_ID:
        raise BadInput("The LCM-LoRA is what Fast mode adds; tick Fast (--fast) instead.")
    if entry.licence != IMPORTED_LICENCE:
        raise BadInput(
            f"'{entry.name}' is not a LoRA you imported; add an SDXL LoRA with "
            "'studio models import FILE' (or the Models dialog)."
        )
    if entry.extra.get("architecture", "SDXL") not in ("SDXL", "unknown"):
        raise BadInput(f"'{entry.name}' is a LoRA for another model; Fill needs an SDXL LoRA.")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise BadInput(f"A LoRA's weight must be a number (got {weight!r}).")
    if not math.isfinite(weight) or not -4.0 <= weight <= 4.0:
        raise BadInput("A LoRA's weight must be between -4 and 4.")
    return entry


def _entry_or_refuse(store: ModelStore, model_id: str, what: str) -> Any:
    if not isinstance(model_id, str) or model_id not in store.catalogue:
        raise BadInput(
            f"There is no {what} '{model_id}'; 'studio models list' shows the models, "
            "'studio models import FILE' adds your own."
        )
    return store.catalogue.get(model_id)


def set_adapters(
    pipe: Any, store: ModelStore, lcm_folder: Any, lora: str | None, weight: float
) -> None:
    """Switch ``pipe``'s LoRAs to: the LCM-LoRA when ``lcm_folder`` is given (fast mode), the
    imported ``lora`` at ``weight`` when given, or none.

    The LCM-LoRA alone is fused into the UNet weights (it then runs at the base model's
    speed); with a LoRA of yours beside it both stay unfused, because peft ignores every
    unmerged adapter of a layer that holds merged weights. Each adapter is loaded once per
    pipeline; ``pipe._studio_adapters`` records what is active (a CUDA graph replays only
    under the same adapters).
    """
    from studio.pipelines.diffusion_loading import load_lora, release_placement

    fuse = lcm_folder is not None and lora is None
    loaded = set(pipe.get_list_adapters().get("unet", [])) if _has_loras(pipe) else set()
    new_lcm = lcm_folder is not None and not pipe._studio_lcm
    new_own = lora is not None and _adapter(lora) not in loaded
    if fuse != pipe._studio_fused or new_lcm or new_own:
        release_placement(pipe)  # (un)fusing and loading need plain weights, not offload hooks
    if pipe._studio_fused and not fuse:
        pipe.unfuse_lora()
        pipe._studio_fused = False
    if new_lcm:
        load_lora(pipe, lcm_folder, adapter_name="lcm")
        pipe._studio_lcm = True
    pipe._studio_loras = _has_loras(pipe) or lcm_folder is not None or lora is not None
    names: list[str] = ["lcm"] if lcm_folder is not None else []
    weights: list[float] = [1.0] if lcm_folder is not None else []
    if lora is not None:
        names.append(load_imported_lora(pipe, store, lora, weight))
        weights.append(float(weight))
    if not names:
        if _has_loras(pipe):
            pipe.disable_lora()
    elif not (fuse and pipe._studio_fused):  # a fused LCM-LoRA stays as it is
        pipe.enable_lora()
        pipe.set_adapters(names, weights)
        if fuse:
            pipe.fuse_lora(adapter_names=["lcm"])
            pipe._studio_fused = True
    pipe._studio_adapters = (tuple(zip(names, weights, strict=True)), pipe._studio_fused)


def _adapter(model_id: str) -> str:
    """The adapter name of an imported LoRA inside a pipeline (peft dislikes dashes)."""
    return model_id.replace("-", "_").replace(".", "_")


def _has_loras(pipe: Any) -> bool:
    return bool(getattr(pipe, "_studio_loras", False))
