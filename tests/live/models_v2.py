"""Tiny stand-ins for the second-level live models, in their published layouts:
SDXL-Turbo (+ TAESDXL) and SD 1.5 with its LCM-LoRA."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.fixtures import diffusion


def build_tiny_sd15(folder: Path, sd_folder: Path) -> None:
    """SD 1.5's layout: the tiny SD files plus the feature extractor its index names."""
    from transformers import CLIPImageProcessor

    shutil.copytree(sd_folder, folder, dirs_exist_ok=True)
    CLIPImageProcessor(crop_size=224, size=224).save_pretrained(folder / "feature_extractor")
    index_path = folder / "model_index.json"
    index = json.loads(index_path.read_text("utf-8"))
    index["feature_extractor"] = ["transformers", "CLIPImageProcessor"]
    index["safety_checker"] = ["stable_diffusion", "StableDiffusionSafetyChecker"]
    index["requires_safety_checker"] = True
    index_path.write_text(json.dumps(index, indent=2), "utf-8")


def build_tiny_lcm_lora(folder: Path, sd_folder: Path) -> None:
    """A random LCM-LoRA (kohya-style keys, like latent-consistency/lcm-lora-sdv1-5)."""
    diffusion.build_tiny_lcm_lora_sdxl(folder, sd_folder)  # the builder reads any SD UNet


def build_tiny_sdxl_turbo(folder: Path) -> None:
    diffusion.build_tiny_sdxl(folder)
