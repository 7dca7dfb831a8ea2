"""Each tiny builder's output loads through the production loaders and runs on the CPU."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from studio.core.errors import BadInput
from studio.models.catalogue import load_catalogue
from studio.pipelines import diffusion_loading as dl
from tests.fixtures import diffusion


def _files(folder):
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".studio")
    )


@pytest.fixture(scope="module")
def sdxl_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_sdxl")
    diffusion.build_tiny_sdxl(folder)
    return folder


def test_layouts_match_catalogue(tiny_sd_dir, tiny_taesd_dir, sdxl_dir):
    cat = load_catalogue()
    assert _files(tiny_sd_dir) == sorted(cat.get("sd-turbo").hub.files)
    assert _files(tiny_taesd_dir) == sorted(cat.get("taesd").hub.files)
    assert _files(sdxl_dir) == sorted(cat.get("sdxl-inpaint").hub.files)
    assert _files(sdxl_dir) == sorted(cat.get("realvisxl-v4-lightning").hub.files)
    assert sorted(diffusion.LCM_LORA_FILES) == sorted(cat.get("lcm-lora-sdxl").hub.files)
    index = json.loads((tiny_sd_dir / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    assert dl.fp16_variant(tiny_sd_dir) == "fp16"


def test_sd_turbo_loads_and_runs_one_step(tiny_sd_dir):
    pipe = dl.load_sd_pipeline(tiny_sd_dir, "cpu", torch.float32)
    assert pipe.unet.dtype == torch.float32
    assert type(pipe.scheduler).__name__ == "EulerDiscreteScheduler"
    out = pipe(
        "a cat",
        num_inference_steps=1,
        guidance_scale=0.0,
        height=64,
        width=64,
        output_type="np",
        generator=torch.Generator().manual_seed(0),
    ).images
    assert out.shape == (1, 64, 64, 3) and np.isfinite(out).all()
    img2img = dl.load_sd_pipeline(
        tiny_sd_dir, "cpu", torch.float32, "StableDiffusionImg2ImgPipeline"
    )
    res = img2img(
        "a dog",
        image=torch.rand(1, 3, 64, 64),
        strength=0.5,
        num_inference_steps=2,
        guidance_scale=0.0,
        output_type="np",
    ).images
    assert res.shape == (1, 64, 64, 3)


def test_tiny_vae_loads_and_roundtrips(tiny_taesd_dir, tmp_path):
    vae = dl.load_tiny_vae(tiny_taesd_dir, "cpu", torch.float32)
    latents = vae.encode(torch.rand(1, 3, 64, 64)).latents
    assert latents.shape == (1, 4, 8, 8)
    assert vae.decode(latents).sample.shape == (1, 3, 64, 64)
    diffusion.build_tiny_taesd(tmp_path / "xl", xl=True)
    assert dl.load_tiny_vae(tmp_path / "xl", "cpu", torch.float32).config.latent_channels == 4


def test_sdxl_with_lcm_lora_loads_and_runs(sdxl_dir, tmp_path):
    pipe = dl.load_sdxl_pipeline(sdxl_dir, "cpu", torch.float32)
    kwargs = dict(
        num_inference_steps=1, guidance_scale=0.0, height=64, width=64, output_type="latent"
    )
    base = pipe("a cat", generator=torch.Generator().manual_seed(0), **kwargs).images
    diffusion.build_tiny_lcm_lora_sdxl(tmp_path / "lora", sdxl_dir)
    dl.load_lora(pipe, tmp_path / "lora", "lcm")
    assert pipe.get_active_adapters() == ["lcm"]
    from safetensors.torch import load_file

    saved = load_file(tmp_path / "lora" / "pytorch_lora_weights.safetensors")
    adapted_modules = [n for n, _ in pipe.unet.named_modules() if n.endswith(".lora_A")]
    assert len(adapted_modules) == sum(k.endswith("lora_down.weight") for k in saved) > 50
    adapted = pipe("a cat", generator=torch.Generator().manual_seed(0), **kwargs).images
    assert adapted.shape == base.shape == (1, 4, 8, 8)
    assert not torch.allclose(base, adapted)  # the LoRA really changed the UNet


def test_sdxl_inpaint_loads_and_runs(tmp_path):
    diffusion.build_tiny_sdxl(tmp_path / "inp", inpaint=True)
    pipe = dl.load_sdxl_pipeline(tmp_path / "inp", "cpu", torch.float32, inpaint=True)
    assert pipe.unet.config.in_channels == 9
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 16:48, 16:48] = 1
    out = pipe(
        "a cat",
        image=torch.rand(1, 3, 64, 64),
        mask_image=mask,
        num_inference_steps=2,
        strength=0.99,
        guidance_scale=0.0,
        height=64,
        width=64,
        output_type="np",
    ).images
    assert out.shape == (1, 64, 64, 3)


def test_not_a_model_folder_is_bad_input(tmp_path):
    with pytest.raises(BadInput):
        dl.load_sd_pipeline(tmp_path, "cpu", torch.float32)
