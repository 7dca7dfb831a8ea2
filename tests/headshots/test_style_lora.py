"""Styles that name an imported LoRA: your own style files, the LoRA on the warm pipeline for
its pack only, and the errors for a missing or unfitting LoRA."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.models.imports import LORA_FILE, import_model
from studio.pipelines.headshots import generate, styles
from studio.pipelines.headshots.pack import PackRequest, run
from studio.pipelines.headshots.reroll import RerollRequest, reroll
from studio.pipelines.headshots.style_lora import loaded_adapters
from tests.fixtures.install import install_copy

FAST = {"steps": 2, "refine_steps": 2, "refine_strength": 0.5}
PROMPT = "a studio headshot, {custom}"


@pytest.fixture(scope="module")
def lora_files(tmp_path_factory, built_models):
    """A LoRA for the tiny headshot base (kohya keys, as exported by trainers) and the tiny
    SDXL inpainting model, whose width an import must match (the tiny models are 64 wide)."""
    from tests.fixtures.diffusion import build_tiny_lcm_lora_sdxl, build_tiny_sdxl

    root = tmp_path_factory.mktemp("style_lora")
    build_tiny_sdxl(root / "sdxl-inpaint", inpaint=True)
    build_tiny_lcm_lora_sdxl(root / "lora", built_models["realvisxl-v4-lightning"])
    return root


def _user_style(style_id: str, **extra) -> None:
    folder = styles.user_styles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    raw = {"id": style_id, "name": style_id.title(), "prompt": PROMPT, **extra}
    (folder / f"{style_id}.json").write_text(json.dumps(raw), encoding="utf-8")


def _import(store, lora_files, tmp_path, name="ink.safetensors"):
    install_copy(store, "sdxl-inpaint", lora_files / "sdxl-inpaint")
    source = tmp_path / name
    shutil.copyfile(lora_files / "lora" / LORA_FILE, source)
    return import_model(store, source)


def _request(selfie, folder, style):
    return PackRequest(
        selfies=[selfie],
        style=style,
        count=2,
        size=64,
        batch_size=2,
        refine_top_k=0,
        upscale=False,
        overrides=dict(FAST),
        folder=folder,
        seed=3,
    )


def _latents(result):
    return [np.load(result.pack.path(im.latent)) for im in result.pack.images]


def test_your_own_style_files_are_listed_and_checked():
    _user_style("inked", lora={"model": "user-ink", "weight": 0.7})
    _user_style("corporate", name="My corporate")  # replaces the shipped one
    listed = {s.id: s for s in styles.list_styles()}
    assert listed["inked"].lora == "user-ink" and listed["inked"].lora_weight == 0.7
    assert listed["corporate"].name == "My corporate" and listed["corporate"].lora == ""
    assert "studio-white" in listed  # the other shipped styles stay
    assert styles.get_style("Inked").id == "inked"
    folder = styles.user_styles_dir()
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BadInput, match="'broken.json' is not a valid style pack"):
        styles.list_styles()
    (folder / "broken.json").unlink()
    _user_style("heavy", lora={"model": "user-ink", "weight": 9})
    with pytest.raises(BadInput, match="'heavy.json'.*weight must be a number from -4 to 4"):
        styles.list_styles()
    _user_style("heavy", lora={"weight": 1})
    with pytest.raises(BadInput, match="'heavy.json' names a LoRA without its model id"):
        styles.list_styles()


def test_a_style_lora_is_used_for_its_pack_only(hs_context, selfie_file, tmp_path, lora_files):
    entry = _import(hs_context.store, lora_files, tmp_path)
    _user_style("plain")
    _user_style("inked", lora={"model": entry.id, "weight": 1.0})
    plain = run(_request(selfie_file, tmp_path / "plain", "plain"), hs_context)
    inked = run(_request(selfie_file, tmp_path / "inked", "inked"), hs_context)
    for a, b in zip(_latents(plain), _latents(inked), strict=True):
        assert np.abs(a - b).mean() > 1e-3
    assert inked.pack.models["lora"] == entry.id and "lora" not in plain.pack.models
    assert (inked.pack.settings["lora"], inked.pack.settings["lora_weight"]) == (entry.id, 1.0)
    pipe = generate.load_models(hs_context).pipe  # the warm pipeline both packs used
    assert loaded_adapters(pipe) == [entry.id.replace("-", "_")]
    # a re-roll of the LoRA pack uses it again (same seed, same draft) ...
    first = inked.pack.images[0]
    again = reroll(RerollRequest(inked.folder, first.index, first.seed), hs_context)
    assert np.allclose(np.load(inked.pack.path(again.latent)), _latents(inked)[0], atol=1e-3)
    # ... and the next pack without a LoRA draws as if it had never been loaded
    after = run(_request(selfie_file, tmp_path / "after", "plain"), hs_context)
    assert loaded_adapters(pipe) == []
    for a, b in zip(_latents(plain), _latents(after), strict=True):
        assert np.allclose(a, b, atol=1e-3)


def test_a_missing_lora_is_named_before_any_work(hs_context, selfie_file, tmp_path):
    _user_style("inked", lora={"model": "user-gone"})
    with pytest.raises(BadInput, match="uses the LoRA 'user-gone', which is not among your"):
        run(_request(selfie_file, tmp_path / "p", "inked"), hs_context)
    assert not (tmp_path / "p").exists()


def test_a_lora_for_another_model_is_refused_and_leaves_nothing(
    hs_context, selfie_file, tmp_path, lora_files
):
    import torch
    from safetensors.torch import save_file

    install_copy(hs_context.store, "sdxl-inpaint", lora_files / "sdxl-inpaint")
    # 64 wide like the tiny SDXL (so it imports) but its layer is of another shape
    key = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k"
    source = tmp_path / "other.safetensors"
    save_file(
        {
            f"{key}.lora_down.weight": torch.randn(4, 64),
            f"{key}.lora_up.weight": torch.randn(999, 4),
            f"{key}.alpha": torch.tensor(4.0),
        },
        str(source),
    )
    entry = import_model(hs_context.store, source)
    _user_style("plain")
    _user_style("other", lora={"model": entry.id})
    plain = run(_request(selfie_file, tmp_path / "plain", "plain"), hs_context)
    with pytest.raises(BadInput, match="does not fit this model; a LoRA must be made for SDXL"):
        run(_request(selfie_file, tmp_path / "other", "other"), hs_context)
    pipe = generate.load_models(hs_context).pipe
    assert loaded_adapters(pipe) == []
    after = run(_request(selfie_file, tmp_path / "after", "plain"), hs_context)
    for a, b in zip(_latents(plain), _latents(after), strict=True):
        assert np.allclose(a, b, atol=1e-3)


def test_a_checkpoint_is_not_a_style_lora(hs_context):
    from studio.pipelines.headshots.style_lora import check_style_lora

    with pytest.raises(
        BadInput, match="names 'InstantID.*' as its LoRA, but that model is not a LoRA"
    ):
        check_style_lora(hs_context.store, "instantid", "Inked")
