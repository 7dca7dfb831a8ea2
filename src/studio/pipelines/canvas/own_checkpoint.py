"""Load an imported single-file SDXL checkpoint (``studio models import``) as a pipeline.

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
