from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput, Cancelled, ModelMissing
from studio.pipelines.canvas import JOBS
from studio.pipelines.canvas.fill import FillRequest, run


def _mask(photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[30:50, 40:70] = 255
    return mask


def test_fill_variations_keep_the_rest(run_context, sdxl, photo):
    req = FillRequest(
        image=photo,
        mask=_mask(photo),
        prompt="a red balloon",
        steps=3,
        seed=7,
        variations=2,
        work_side=128,
    )
    res = JOBS["canvas.fill"](req, run_context)
    assert res.seeds == [7, 8] and len(res.images) == 2
    for img in res.images:
        assert img.shape == photo.shape
        assert (img[res.alpha == 0] == photo[res.alpha == 0]).all()
    assert not (res.images[0] == res.images[1]).all()
    steps = [r for r in run_context.reports if r[0] == "Filling"]
    assert steps[-1][1] == steps[-1][2] and steps[-1][2] >= 2
    again = run(req, run_context)  # same seed, same result
    assert (again.images[0] == res.images[0]).all()
    assert res.settings["prompt"] == "a red balloon"


def test_fast_mode_with_lcm_lora_then_back(run_context, sdxl, photo):
    def normal():
        req = FillRequest(
            image=photo, mask=_mask(photo), prompt="x", steps=2, seed=1, work_side=128
        )
        return run(req, run_context)

    def fast():
        req = FillRequest(
            image=photo, mask=_mask(photo), prompt="x", steps=4, fast=True, seed=1, work_side=128
        )
        return run(req, run_context)

    before = normal()
    pipe = run_context.cache.get("sdxl-inpaint:cpu", lambda: None)

    def to_q():  # a layer LCM-LoRA adapts (PEFT wraps it once the LoRA is loaded)
        layer = pipe.unet.down_blocks[1].attentions[0].transformer_blocks[0].attn1.to_q
        return getattr(layer, "base_layer", layer).weight

    weight = to_q().detach().clone()
    first = fast()
    assert first.settings["fast"] and first.settings["guidance"] <= 2.0
    assert "lcm" in pipe.get_list_adapters()["unet"]
    assert type(pipe.scheduler).__name__ == "LCMScheduler"
    assert not (to_q() == weight).all()  # LoRA merged into the weights
    assert (fast().images[0] == first.images[0]).all()  # merged once, not twice
    after = normal()
    assert type(pipe.scheduler).__name__ != "LCMScheduler"  # fast mode is switched off again
    assert (to_q() - weight).abs().max() < 1e-5  # and the merge undone
    diff = np.abs(after.images[0].astype(int) - before.images[0].astype(int))
    assert diff.max() <= 2
    assert (after.images[0][after.alpha == 0] == photo[after.alpha == 0]).all()


def test_fill_cancel_mid_run_returns_nothing(run_context, sdxl, photo):
    calls = []

    def hook():
        calls.append(1)
        if len(calls) == 3:  # cancelled between denoising steps
            run_context.cancel.cancel()

    run_context.cancel.on_check.append(hook)
    with pytest.raises(Cancelled):
        run(FillRequest(image=photo, mask=_mask(photo), steps=5, work_side=128), run_context)


def test_fill_bad_input(run_context, photo):
    with pytest.raises(BadInput, match="variations"):
        run(FillRequest(image=photo, mask=_mask(photo), variations=0), run_context)
    with pytest.raises(BadInput, match="Fast mode"):
        run(FillRequest(image=photo, mask=_mask(photo), fast=True, steps=30), run_context)
    with pytest.raises(ModelMissing, match="SDXL"):
        run(FillRequest(image=photo, mask=_mask(photo)), run_context)


@pytest.fixture(scope="session")
def vae_fix_folder(tmp_path_factory):
    """A tiny ``madebyollin/sdxl-vae-fp16-fix`` in its layout (config.json + safetensors)."""
    import torch
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("vae_fix") / "sdxl-vae-fp16-fix"
    AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 16, 16, 16),
        layers_per_block=1,
        norm_num_groups=8,
        latent_channels=4,
        sample_size=64,
        scaling_factor=0.13025,
        force_upcast=False,
    ).save_pretrained(folder, safe_serialization=True)
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "diffusion_pytorch_model.safetensors",
    ]
    return folder


def test_fill_uses_the_fp16_fix_vae_when_installed(run_context, sdxl, photo, vae_fix_folder):
    from safetensors.torch import load_file

    from studio.pipelines.canvas.fill import VAE_FIX_ID
    from tests.fixtures.install import install_copy

    install_copy(run_context.store, VAE_FIX_ID, vae_fix_folder)
    req = FillRequest(image=photo, mask=_mask(photo), prompt="x", steps=2, seed=3, work_side=128)
    res = run(req, run_context)
    pipe = run_context.cache.get("sdxl-inpaint:cpu:vae-fp16-fix", lambda: None)
    assert pipe is not None and pipe.vae.config.force_upcast is False
    saved = load_file(vae_fix_folder / "diffusion_pytorch_model.safetensors")
    key = "decoder.conv_out.weight"
    assert (pipe.vae.state_dict()[key] == saved[key].to(pipe.vae.dtype)).all()
    assert (res.images[0][res.alpha == 0] == photo[res.alpha == 0]).all()
