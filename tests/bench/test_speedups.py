"""The faster forms of the canvas models compute what the plain ones do (tiny real-layout
models on the CPU): SAM's fused attention, LaMa's bf16/fp32-FFT split, NHWC RRDBNet, the SDXL
VAE kept in fp32, and the UNet graph wrapper's eager fallback."""

from __future__ import annotations

import pytest
import torch

from studio.pipelines.canvas import speedups, unet_graph
from tests.fixtures import canvas_models as cm


@pytest.fixture(autouse=True)
def _one_thread():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def test_sam_fused_attention_matches_the_original_encoder(tmp_path):
    from studio.pipelines.canvas.segment import load_sam

    sam = load_sam(cm.build_tiny_sam(tmp_path))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in sam.image_encoder.named_parameters():
            if "rel_pos" in name:  # zero-initialised: give the relative positions weight
                p.copy_(torch.randn_like(p))
        x = torch.randn(1, 3, 256, 256)
        expected = sam.image_encoder(x)
        assert speedups.sam_fused_attention(sam) is True
        assert speedups.sam_fused_attention(sam) is True  # idempotent
        got = sam.image_encoder(x)
    assert got.shape == expected.shape == (1, 32, 16, 16)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


def test_sam_fused_attention_falls_back_to_the_original_on_error(tmp_path, monkeypatch):
    from studio.pipelines.canvas.segment import load_sam

    sam = load_sam(cm.build_tiny_sam(tmp_path))
    x = torch.randn(1, 3, 256, 256)
    with torch.no_grad():
        expected = sam.image_encoder(x)
        speedups.sam_fused_attention(sam)

        def refuse(*args, **kwargs):  # a kernel this GPU or torch build does not have
            raise RuntimeError("no kernel")

        monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", refuse)
        got = sam.image_encoder(x)
    assert torch.equal(got, expected)
    assert sam._studio_sdpa is False
    assert not any("forward" in m.__dict__ for m in sam.image_encoder.modules())


@pytest.fixture(scope="module")
def lama(tmp_path_factory):
    from spandrel import ModelLoader

    path = cm.build_big_lama(tmp_path_factory.mktemp("lama"))
    return ModelLoader().load_from_file(path).eval()


def _lama_inputs(side: int = 64):
    torch.manual_seed(2)
    image = torch.rand(1, 3, side, side)
    mask = torch.zeros(1, 1, side, side)
    mask[..., side // 4 : 3 * side // 4, side // 4 : 3 * side // 4] = 1
    return image, mask


def test_lama_fp32_is_bit_identical_after_wrapping_the_fourier_units(lama):
    image, mask = _lama_inputs()
    with torch.inference_mode():
        before = lama(image, mask)
    assert speedups.lama_fft_in_fp32(lama.model) == 36  # 18 residual blocks x 2 FFCs
    with torch.inference_mode():
        after = lama(image, mask)
    assert torch.equal(before, after)


def test_lama_mixed_keeps_outside_pixels_and_stays_near_fp32(lama):
    from studio.pipelines.canvas.remove import inpaint

    image, mask = _lama_inputs()
    reference = inpaint(lama, image, mask, mixed=False)
    assert lama.studio_path == "fp32"
    mixed = inpaint(lama, image, mask, mixed=True)
    assert lama.studio_path == "bf16 spatial + fp32 FFT"
    assert mixed.dtype == torch.float32
    outside = (mask == 0).expand_as(image)
    assert torch.equal(mixed[outside], image[outside])  # bit for bit
    levels = ((mixed - reference).abs() * 255).max().item()
    assert 0 < levels <= 24, levels  # random weights; trained big-lama measured ~1 level


def test_rrdbnet_channels_last_gives_the_same_image(tmp_path):
    from spandrel import ModelLoader

    desc = ModelLoader().load_from_file(cm.build_tiny_rrdbnet(tmp_path)).eval()
    x = torch.rand(1, 3, 24, 20)
    with torch.inference_mode():
        expected = desc(x)
        assert speedups.channels_last(desc.model) is True
        got = desc(x)
    assert got.shape == (1, 3, 96, 80)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


def test_sdxl_vae_kept_fp32_matches_diffusers_upcast(tmp_path):
    """fp16 inputs into the fp32-resident VAE: the arithmetic diffusers' force_upcast does
    after casting the weights to fp32 (which here happens once)."""
    import copy

    from diffusers import AutoencoderKL

    from studio.pipelines.canvas.fill import keep_vae_fp32

    torch.manual_seed(3)
    vae = AutoencoderKL(
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        norm_num_groups=8,
        layers_per_block=1,
        force_upcast=True,
    ).to(torch.float16)
    upcast = copy.deepcopy(vae).to(torch.float32)  # what diffusers casts to around each call
    image = torch.rand(1, 3, 32, 32).to(torch.float16) * 2 - 1
    latents = torch.randn(1, 4, 16, 16).to(torch.float16)
    keep_vae_fp32(vae)
    keep_vae_fp32(vae)  # idempotent
    assert vae.dtype == torch.float32 and vae.config.force_upcast is False
    with torch.no_grad():
        got = vae.encode(image).latent_dist.mean
        expected = upcast.encode(image.float()).latent_dist.mean
        assert torch.equal(got, expected)
        got = vae.decode(latents, return_dict=False)[0]
        expected = upcast.decode(latents.float(), return_dict=False)[0]
        assert torch.equal(got, expected)


def _tiny_unet():
    from diffusers import UNet2DConditionModel

    torch.manual_seed(4)
    return UNet2DConditionModel(
        sample_size=8,
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=8,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=8,
        attention_head_dim=2,
    ).eval()


def test_unet_graphs_fall_back_to_eager_off_the_gpu():
    unet = _tiny_unet()
    sample, text = torch.randn(1, 4, 8, 8), torch.randn(1, 3, 8)
    t = torch.tensor(10)
    with torch.no_grad():
        expected = unet(sample, t, encoder_hidden_states=text, return_dict=False)[0]
        graphed = unet_graph.enable(unet)
        assert unet_graph.enable(unet) is graphed and unet_graph.installed(unet) is graphed
        got = unet(sample, t, encoder_hidden_states=text, return_dict=False)[0]
        unet(sample, 10.0, encoder_hidden_states=text, return_dict=False)  # a bare number
    assert torch.equal(got, expected)
    assert graphed.stats() == {"replays": 0, "eager_calls": 2, "captures": 0, "failed": None}
    with unet_graph.suspended(unet):
        assert unet_graph.installed(unet) is None
        assert unet_graph.enable(unet) is None  # a run inside stays eager
        assert unet_graph.installed(unet) is None
    assert unet_graph.installed(unet) is graphed
    unet_graph.disable(unet)
    assert "forward" not in unet.__dict__
    import gc
    import weakref

    gc.disable()  # freed by reference counting alone: no cycle through the wrapper
    try:
        graphed = unet_graph.enable(unet)
        ref = weakref.ref(unet)
        del unet
        assert ref() is None
        with pytest.raises(RuntimeError, match="freed"):
            graphed.eager()
    finally:
        gc.enable()


def test_unet_graph_signature_refuses_what_a_graph_would_freeze():
    sig = unet_graph._signature
    assert sig(torch.zeros(2, 3))[0] == "t"
    assert sig({"b": torch.zeros(1), "a": None}) == (
        "d",
        (("a", ("v", None)), ("b", ("t", (1,), "torch.float32", "cpu"))),
    )
    for frozen in (1.5, 3, [torch.zeros(1)]):
        with pytest.raises(TypeError):
            sig(frozen)


def test_upscale_tiles_off_the_gpu_are_the_requested_ones():
    from dataclasses import replace

    from studio.pipelines.canvas.upscale import effective_tile
    from studio.pipelines.context import RunContext

    ctx = RunContext(store=None, cache=None, device="cpu")
    assert [effective_tile(t, ctx, half=False) for t in (0, 128, 512)] == [0, 128, 512]
    low = replace(ctx, low_memory=True)
    assert [effective_tile(t, low, half=False) for t in (0, 100, 512)] == [0, 64, 256]


def test_live_compile_cache_goes_to_the_given_folder_unless_set(tmp_path, monkeypatch):
    import os

    import torch._inductor.config as inductor_config

    from studio.pipelines.live.engine import configure_compile_cache

    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    monkeypatch.delenv("TRITON_CACHE_DIR", raising=False)
    import torch._functorch.config as functorch_config

    monkeypatch.setattr(inductor_config, "fx_graph_cache", False)
    # restored after the test like the rest
    monkeypatch.setattr(
        functorch_config, "enable_autograd_cache", functorch_config.enable_autograd_cache
    )
    assert configure_compile_cache(tmp_path) == tmp_path / "inductor"
    assert os.environ["TRITON_CACHE_DIR"] == str(tmp_path / "triton")
    assert inductor_config.fx_graph_cache is True
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "mine"))
    assert configure_compile_cache(tmp_path / "other") == tmp_path / "mine"
