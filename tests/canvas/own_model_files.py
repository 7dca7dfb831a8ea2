"""Your own models for the Canvas tests: a tiny SDXL checkpoint and a LoRA written as files a
user would import, imported through ``import_model`` (the code behind ``studio models
import`` and the Models dialog's Import)."""

from __future__ import annotations

from studio.models.imports import LORA_FILE, import_model
from tests.fixtures.install import install_copy
from tests.models.test_imports_checkpoint import _widen_second_text_encoder, write_ldm_checkpoint

_BUILT: dict[str, object] = {}


def build_own_files(tmp_path_factory):
    """(Built once per session.) The tiny SDXL inpainting model (its second text encoder
    wider, so that diffusers tells the two apart in a single file), its LCM-LoRA, and the
    files a user would import: a base (4-channel) checkpoint and a style LoRA."""
    import shutil

    if "root" in _BUILT:
        return _BUILT["root"]
    from tests.fixtures.diffusion import build_tiny_lcm_lora_sdxl, build_tiny_sdxl

    root = tmp_path_factory.mktemp("own_models")
    build_tiny_sdxl(root / "sdxl-inpaint", inpaint=True)
    _widen_second_text_encoder(root / "sdxl-inpaint")
    build_tiny_lcm_lora_sdxl(root / "lcm-lora-sdxl", root / "sdxl-inpaint")
    build_tiny_sdxl(root / "base", inpaint=False)
    _widen_second_text_encoder(root / "base")
    write_ldm_checkpoint(root / "base", root / "my-finetune.safetensors")
    build_tiny_lcm_lora_sdxl(root / "style", root / "sdxl-inpaint", rank=2)
    shutil.copyfile(root / "style" / LORA_FILE, root / "my-style.safetensors")
    _BUILT["root"] = root
    return root


def install_own(store, own_files):
    """Installs SDXL inpainting + LCM-LoRA; imports the checkpoint and the LoRA. Their ids."""
    for model_id in ("sdxl-inpaint", "lcm-lora-sdxl"):
        install_copy(store, model_id, own_files / model_id)
    checkpoint = import_model(store, own_files / "my-finetune.safetensors")
    lora = import_model(store, own_files / "my-style.safetensors")
    assert (checkpoint.task, lora.task) == ("checkpoint", "lora")
    return checkpoint.id, lora.id
