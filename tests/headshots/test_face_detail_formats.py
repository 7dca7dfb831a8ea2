"""Portrait formats (4:5, 2:3) through the pack's generate path, on tiny models."""

from __future__ import annotations

import pytest

from studio.core.errors import BadInput
from studio.pipelines.headshots import quality
from studio.pipelines.headshots.frames import frame_size
from studio.pipelines.headshots.pack import PackRequest, run

FAST = {"steps": 2, "refine_steps": 2, "refine_strength": 0.5}


def test_formats_keep_sdxl_friendly_sizes():
    assert frame_size(1024, "1:1") == (1024, 1024)
    assert frame_size(1024, "4:5") == (896, 1120)
    assert frame_size(1024, "2:3") == (832, 1248)


@pytest.mark.parametrize(("aspect", "shape"), [("4:5", (160, 128, 3)), ("2:3", (288, 192, 3))])
def test_portrait_formats_generate_and_refine_at_their_aspect(
    hs_context, selfie_file, tmp_path, aspect, shape
):
    request = PackRequest(
        selfies=[selfie_file],
        count=1,
        size=256,
        aspect=aspect,
        refine_top_k=1,
        upscale=False,
        batch_size=1,
        overrides=dict(FAST),
        folder=tmp_path / "pack",
        seed=3,
    )
    pack = run(request, hs_context).pack
    assert (pack.settings["width"], pack.settings["height"]) == (shape[1], shape[0])
    [item] = pack.images
    assert quality.load_image(pack.path(item.draft)).shape == shape
    assert quality.load_image(pack.path(item.final)).shape == shape
    # Resuming into the same folder with another format is refused, not mixed.
    with pytest.raises(BadInput, match="different pack"):
        run(PackRequest(**{**request.__dict__, "aspect": "1:1"}), hs_context)


def test_unknown_or_too_small_formats_are_refused(hs_context, selfie_file, tmp_path):
    base = dict(selfies=[selfie_file], folder=tmp_path / "p", overrides=dict(FAST))
    with pytest.raises(BadInput, match="format must be one of"):
        run(PackRequest(**base, aspect="16:9"), hs_context)
    with pytest.raises(BadInput, match="too small"):
        run(PackRequest(**base, size=128, aspect="4:5"), hs_context)
