"""Load installed diffusers models (Stable Diffusion, SDXL, tiny VAEs) from the model store.

Shared by every workspace. All loads are local (``local_files_only=True``) from a folder that
``ModelStore.require`` returned; the fp16 variant is used when the folder holds fp16 files
(``*.fp16.safetensors``, as the catalogue lists for the published repos).

- ``load_sd_pipeline(folder, device, dtype, cls_name="StableDiffusionPipeline")``: an SD 1.x/2.x
  pipeline (``cls_name`` may name any diffusers SD pipeline class, e.g. the img2img one).
- ``load_sdxl_pipeline(folder, device, dtype, inpaint=False, cls_name=None)``: SDXL (text to
  image, or ``StableDiffusionXLInpaintPipeline`` with ``inpaint=True``).
- ``load_tiny_vae(folder, device, dtype)``: an ``AutoencoderTiny`` (TAESD / TAESDXL).
- ``load_lora(pipe, folder, adapter_name)``: a LoRA (e.g. LCM-LoRA) from a folder holding
  ``pytorch_lora_weights.safetensors``.

Errors a user can act on (a folder that is not a loadable model) become :class:`BadInput`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.core.errors import BadInput

_LORA_FILE = "pytorch_lora_weights.safetensors"


def fp16_variant(folder: Path) -> str | None:
    """``"fp16"`` when the model folder holds fp16 variant weights, else ``None``."""
    folder = Path(folder)
    for sub in ("unet", "transformer", "."):
        if any((folder / sub).glob("*.fp16.safetensors")):
            return "fp16"
    return None


def _load(cls_name: str, folder: Path, device: str, dtype: Any, **kwargs: Any) -> Any:
    import diffusers

    cls = getattr(diffusers, cls_name, None)
    if cls is None:
        raise ValueError(f"unknown diffusers class {cls_name!r}")
    folder = Path(folder)
    if not (folder / "model_index.json").is_file():
        raise BadInput(
            f"The folder {folder} does not hold a diffusers model (no model_index.json).",
        )
    try:
        pipe = cls.from_pretrained(
            folder,
            torch_dtype=dtype,
            variant=fp16_variant(folder),
            local_files_only=True,
            **kwargs,
        )
    except (OSError, ValueError) as exc:
        raise BadInput(
            f"The model in {folder} could not be loaded; it may be incomplete. "
            "Delete and download it again.",
            detail=repr(exc),
        ) from exc
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_sd_pipeline(
    folder: Path, device: str, dtype: Any, cls_name: str = "StableDiffusionPipeline"
) -> Any:
    """An SD 1.x/2.x pipeline of class ``cls_name`` from an installed model folder."""
    extra: dict[str, Any] = {}
    if cls_name.startswith("StableDiffusion") and "XL" not in cls_name:
        extra = {"safety_checker": None, "requires_safety_checker": False}
    return _load(cls_name, folder, device, dtype, **extra)


def load_sdxl_pipeline(
    folder: Path,
    device: str,
    dtype: Any,
    inpaint: bool = False,
    cls_name: str | None = None,
    **components: Any,
) -> Any:
    """An SDXL pipeline (``StableDiffusionXLInpaintPipeline`` when ``inpaint``); ``components``
    (e.g. ``vae=``) replace the folder's own, which are then not loaded at all."""
    if cls_name is None:
        cls_name = "StableDiffusionXLInpaintPipeline" if inpaint else "StableDiffusionXLPipeline"
    return _load(cls_name, folder, device, dtype, **components)


def load_tiny_vae(folder: Path, device: str, dtype: Any) -> Any:
    """A TAESD-family ``AutoencoderTiny`` from its installed folder."""
    from diffusers import AutoencoderTiny

    folder = Path(folder)
    try:
        vae = AutoencoderTiny.from_pretrained(folder, torch_dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise BadInput(
            f"The tiny VAE in {folder} could not be loaded; download it again.", detail=repr(exc)
        ) from exc
    return vae.to(device).eval()


def load_lora(pipe: Any, folder: Path, adapter_name: str = "lora") -> Any:
    """Load ``pytorch_lora_weights.safetensors`` from ``folder`` into ``pipe`` (needs peft)."""
    folder = Path(folder)
    if not (folder / _LORA_FILE).is_file():
        raise BadInput(f"No {_LORA_FILE} in {folder}.")
    pipe.load_lora_weights(
        str(folder), weight_name=_LORA_FILE, adapter_name=adapter_name, local_files_only=True
    )
    return pipe
