"""``apply_plan`` on tiny SDXL pipelines loaded by the production loader (CPU: the placement
decision is checked for CUDA devices; the CPU path must run every plan without offloading)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.pipelines import diffusion_loading as dl
from studio.pipelines.memory_plan import GIB, CardMemory, MemoryPlan, choose_plan
from tests.fixtures import diffusion


@pytest.fixture(scope="module")
def sdxl_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_sdxl")
    diffusion.build_tiny_sdxl(folder)
    return folder


@pytest.fixture
def pipe(sdxl_dir):
    return dl.load_sdxl_pipeline(sdxl_dir, "cpu", torch.float32)


def plan(name: str, **flags) -> MemoryPlan:
    return MemoryPlan("canvas.fill", name, 7.6, "8 GB card", **flags)


def generate(p) -> np.ndarray:
    return p(
        "a cat",
        num_inference_steps=2,
        guidance_scale=1.0,
        height=64,
        width=64,
        output_type="np",
        generator=torch.Generator().manual_seed(0),
    ).images


def test_placement_decision_per_plan_on_a_cuda_device(pipe):
    assert dl.placement(pipe, plan("resident"), "cuda:1") == dl.Placement(
        ("vae", "text_encoder", "text_encoder_2", "unet")
    )
    assert dl.placement(pipe, plan("encoders_on_demand"), "cuda:1") == dl.Placement(
        ("vae", "unet"), ("text_encoder", "text_encoder_2"), "", 1
    )
    assert dl.placement(pipe, plan("model_offload"), "cuda:1") == dl.Placement((), (), "model", 1)
    assert dl.placement(pipe, plan("sequential_offload"), "cuda") == dl.Placement(
        (), (), "sequential", 0
    )
    # On the CPU there is nothing to offload from: every plan keeps everything there.
    for name in ("encoders_on_demand", "model_offload", "sequential_offload"):
        assert dl.placement(pipe, plan(name), "cpu").offload == ""
        assert dl.placement(pipe, plan(name), "cpu").on_demand == ()


def test_every_plan_runs_on_the_cpu_with_its_flags(pipe):
    reference = generate(pipe)
    for name in ("encoders_on_demand", "model_offload", "sequential_offload"):
        flagged = plan(name, vae_tile=512, attention_slicing=True)
        place = dl.apply_plan(pipe, flagged, "cpu")
        assert place.offload == "" and not getattr(pipe, "_all_hooks", [])
        assert pipe.vae.use_tiling and pipe.vae.tile_sample_min_size == 512
        assert all(
            type(proc).__name__ == "SlicedAttnProcessor"
            for proc in pipe.unet.attn_processors.values()
        )
        np.testing.assert_allclose(generate(pipe), reference, atol=1e-5)
    dl.apply_plan(pipe, plan("resident"), "cpu")
    assert not pipe.vae.use_tiling
    assert "SlicedAttnProcessor" not in {
        type(p).__name__ for p in pipe.unet.attn_processors.values()
    }


def test_apply_plan_is_cheap_when_nothing_changed(pipe):
    dl.apply_plan(pipe, plan("resident"), "cpu")
    first = pipe._studio_placement
    dl.apply_plan(pipe, plan("resident"), "cpu")
    assert pipe._studio_placement is first


def test_loader_places_by_plan(sdxl_dir):
    chosen = choose_plan("canvas.fill", None)
    loaded = dl.load_sdxl_pipeline(sdxl_dir, "cpu", torch.float32, inpaint=True, plan=chosen)
    assert type(loaded).__name__ == "StableDiffusionXLInpaintPipeline"
    assert loaded._studio_placement[0].on_device == (
        "vae",
        "text_encoder",
        "text_encoder_2",
        "unet",
    )


def test_on_demand_module_keeps_host_weights_and_same_output(pipe):
    encoder = pipe.text_encoder
    ids = torch.tensor([[1, 2, 3, 4]])
    before = encoder(ids).last_hidden_state
    dl.on_demand(encoder, "cpu")
    hook = encoder._hf_hook
    dl.on_demand(encoder, "cpu")
    assert encoder._hf_hook is hook and dl.is_on_demand(encoder)  # idempotent
    # diffusers sends the inputs to the hook's device (where the weights go while it runs).
    from diffusers.utils.torch_utils import get_module_execution_device

    assert get_module_execution_device(encoder) == torch.device("cpu")
    torch.testing.assert_close(encoder(ids).last_hidden_state, before)
    assert all(p.device.type == "cpu" for p in encoder.parameters())
    dl.release_on_demand(encoder)
    assert not dl.is_on_demand(encoder) and not hasattr(encoder, "_hf_hook")
    torch.testing.assert_close(encoder(ids).last_hidden_state, before)


def test_streamed_blocks_give_the_same_unet_output(pipe):
    unet = pipe.unet
    torch.manual_seed(0)
    x = torch.randn(1, 4, 8, 8)
    ctx = torch.randn(1, 77, unet.config.cross_attention_dim)
    added = {"text_embeds": torch.randn(1, 32), "time_ids": torch.zeros(1, 6)}

    def forward():
        with torch.no_grad():
            return unet(x, 10, encoder_hidden_states=ctx, added_cond_kwargs=added).sample

    reference = forward()
    dl.stream_blocks(unet, "cpu")
    assert unet._studio_streamed == ("cpu", False)
    torch.testing.assert_close(forward(), reference)
    dl.unstream(unet)
    assert unet._studio_streamed is None
    torch.testing.assert_close(forward(), reference)


def test_real_card_figures_pick_encoders_on_demand_for_fill():
    # The decision a user's 8 GB card gets, turned into a placement for its GPU.
    chosen = choose_plan("canvas.fill", CardMemory(8 * GIB, int(7.5 * GIB)))
    assert chosen.name == "encoders_on_demand" and chosen.vae_tiling
