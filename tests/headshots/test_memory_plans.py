"""A headshot pack under the 8 GB plan (IdentityNet streamed, text encoders on demand,
batches of 2, tiled decode and upscale) gives the same images as with everything resident.

On the CPU the streaming and on-demand placement run for real (onto the CPU itself); what
differs on a GPU is only where the weights wait."""

from __future__ import annotations

import numpy as np

from studio.pipelines.diffusion_loading import is_on_demand
from studio.pipelines.headshots import generate
from studio.pipelines.headshots.pack import run
from studio.pipelines.memory_plan import MemoryPlan
from tests.headshots.test_pack import _request


def _finals(result):
    from PIL import Image

    out = {}
    for im in result.pack.images:
        if im.final:
            with Image.open(result.pack.path(im.final)) as img:
                out[im.index] = np.asarray(img, dtype=np.int16)
    return out


def test_pack_under_the_8gb_plan_matches_resident(hs_context, selfie_file, tmp_path, monkeypatch):
    resident = run(_request(selfie_file, tmp_path / "resident", count=4), hs_context)
    lean = MemoryPlan(
        "headshots.pack",
        "model_offload",
        7.6,
        "8 GB card",
        vae_tile=512,
        tiled_upscale=True,
        batch_cap=1,
    )
    hs_context.memory_plan = lean
    batches = []
    real_sample = generate.sample

    def counting_sample(models, ctx, **kw):
        batches.append(len(kw["seeds"]))
        return real_sample(models, ctx, **kw)

    monkeypatch.setattr(generate, "sample", counting_sample)  # a spy: the real sampler runs
    result = run(_request(selfie_file, tmp_path / "lean", count=4), hs_context)
    models = generate.load_models(hs_context)
    assert models.placed == ("model_offload", "cpu")
    assert models.controlnet._studio_streamed == ("cpu", False)  # block by block
    assert models.pipe.unet.__dict__.get("_studio_streamed") is None  # the UNet stays
    assert is_on_demand(models.pipe.text_encoder_2)
    assert models.vae_tile == 512
    assert batches == [1, 1, 1, 1, 1, 1]  # 4 drafts + 2 refined, one at a time (batch cap)
    assert [im.seed for im in result.pack.images] == [im.seed for im in resident.pack.images]
    same, lean_finals = _finals(resident), _finals(result)
    assert same.keys() == lean_finals.keys()
    for index, image in same.items():
        # Tiny 64 px images: the VAE tile is larger than the image, so tiling changes nothing;
        # the upscale tile (256 px input) also covers it. JPEG q97 on both sides.
        assert np.abs(image - lean_finals[index]).max() <= 2


def test_back_to_resident_undoes_the_streaming(hs_context):
    lean = MemoryPlan("headshots.pack", "sequential_offload", 4.0, "6 GB card")
    hs_context.memory_plan = lean
    models = generate.load_models(hs_context)
    assert models.pipe.unet._studio_streamed == ("cpu", False)
    hs_context.memory_plan = MemoryPlan("headshots.pack", "resident", 20.0, "24 GB card")
    models = generate.load_models(hs_context)
    assert models.placed == ("resident", "cpu")
    assert models.pipe.unet._studio_streamed is None and models.controlnet._studio_streamed is None
    assert not is_on_demand(models.pipe.text_encoder)
