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
    adapter = model_id.replace("-", "_")
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
