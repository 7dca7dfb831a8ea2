"""A style's LoRA on the warm headshot pipeline: loaded for the packs whose style names one,
removed again for the next pack that does not (or names another), so one pack's LoRA never
leaks into the next.

The LoRA is an imported model (``studio models import``, catalogue task ``lora``) loaded by
:func:`studio.pipelines.canvas.own_models.load_imported_lora` into the base pipeline (UNet and,
when the file has them, text encoders); IdentityNet and the pose ControlNet stay as published.
"""

from __future__ import annotations

from typing import Any

from studio.core.errors import BadInput
from studio.models.store import ModelStore


def check_style_lora(store: ModelStore, model_id: str, style_name: str) -> None:
    """BadInput (before anything loads) when the style's LoRA is not imported, is not a LoRA,
    or was made for another architecture than SDXL."""
    if not model_id:
        return
    if model_id not in store.catalogue:
        raise BadInput(
            f"The style '{style_name}' uses the LoRA '{model_id}', which is not among your "
            "models. Import it with 'studio models import FILE' (or the Models dialog), or "
            "remove it from the style."
        )
    entry = store.catalogue.get(model_id)
    if entry.task != "lora":
        raise BadInput(
            f"The style '{style_name}' names '{entry.name}' as its LoRA, but that model is "
            "not a LoRA."
        )
    architecture = entry.extra.get("architecture", "SDXL")
    if architecture not in ("SDXL", "unknown"):
        raise BadInput(
            f"The style '{style_name}' uses '{entry.name}', a LoRA for {architecture}; "
            "Headshots need an SDXL LoRA."
        )
    store.require(model_id)  # its files: ModelMissing names it


def loaded_adapters(pipe: Any) -> list[str]:
    """Names of the LoRA adapters loaded into ``pipe`` (any component)."""
    try:
        listed = pipe.get_list_adapters()
    except (AttributeError, ValueError):
        return []
    return sorted({name for names in listed.values() for name in names})


def use_style_lora(pipe: Any, store: ModelStore, model_id: str, weight: float) -> str:
    """Make ``pipe`` carry exactly the LoRA ``model_id`` at ``weight`` ("" for none): other
    adapters are deleted first. Returns the adapter name ("" when none)."""
    from studio.pipelines.canvas.own_models import load_imported_lora

    wanted = model_id.replace("-", "_") if model_id else ""
    stale = [name for name in loaded_adapters(pipe) if name != wanted]
    if stale:
        pipe.delete_adapters(stale)
    if not model_id:
        return ""
    try:
        return load_imported_lora(pipe, store, model_id, weight)
    except BadInput:
        # A LoRA that did not fit may have left layers half loaded: none of it stays.
        if wanted in loaded_adapters(pipe):
            pipe.delete_adapters([wanted])
        raise


def use_settings_lora(pipe: Any, store: ModelStore, settings: dict[str, Any]) -> str:
    """:func:`use_style_lora` with a pack's recorded ``lora`` and ``lora_weight`` (packs made
    before styles had LoRAs have none: any loaded LoRA is removed)."""
    model_id = str(settings.get("lora") or "")
    return use_style_lora(pipe, store, model_id, float(settings.get("lora_weight", 1.0)))
