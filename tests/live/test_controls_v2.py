"""Live models (SD-Turbo, SDXL-Turbo, SD 1.5 + LCM-LoRA) and the new controls: each control
changes the next frame; the similar-frame filter skips only when it is on."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.live.models import LIVE_MODELS, supports_guidance, vae_for
from studio.pipelines.live.session import LiveControls, LiveSession, LiveSettings
from tests.live import models_v2

TINY = dict(width=64, height=64, filter_enabled=False)


def _image(seed=0, h=80, w=80):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory, tiny_sd_dir, tiny_taesd_dir):
    """One store and model cache for the module: each tiny model loads once."""
    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.pipelines.context import RunContext
    from studio.services.model_cache import ModelCache
    from tests.fixtures import diffusion
    from tests.fixtures.install import install_built, install_copy

    root = tmp_path_factory.mktemp("live_v2")
    store = ModelStore(root / "models", load_catalogue())
    install_copy(store, "sd-turbo", tiny_sd_dir)
    install_copy(store, "taesd", tiny_taesd_dir)
    install_built(store, "sd-v1-5", lambda f: models_v2.build_tiny_sd15(f, tiny_sd_dir))
    install_built(store, "lcm-lora-sdv1-5", lambda f: models_v2.build_tiny_lcm_lora(f, tiny_sd_dir))
    install_built(store, "sdxl-turbo", models_v2.build_tiny_sdxl_turbo)
    install_built(store, "taesdxl", lambda f: diffusion.build_tiny_taesd(f, xl=True))
    return RunContext(store=store, cache=ModelCache(), device="cpu", progress=lambda *a: None)


def _frames(ctx, settings, *changes, image=None):
    """The frame for ``settings``, then one frame after each change (one session)."""
    controls = LiveControls(settings)
    session = LiveSession(ctx, controls)
    out = [session.step(image).image]
    for change in changes:
        controls.update(**change)
        out.append(session.step(image).image)
    return out


def _differ(a, b):
    return not np.array_equal(a, b)


def _close(a, b):
    return np.abs(a.astype(int) - b.astype(int)).max() <= 1


@pytest.mark.parametrize("model_id", ["sd-turbo", "sdxl-turbo", "sd-v1-5"])
def test_each_live_model_renders_txt2img_and_img2img(ctx, model_id):
    settings = LiveSettings(prompt="a cat", model_id=model_id, lcm_steps=2, **TINY)
    session = LiveSession(ctx, settings)
    for image in (None, _image()):
        frame = session.step(image)
        assert frame.image.shape == (64, 64, 3) and frame.image.dtype == np.uint8
        assert not frame.skipped and frame.image.std() > 0
    assert session.last.mode == "img2img"


@pytest.mark.parametrize("model_id", ["sd-turbo", "sdxl-turbo", "sd-v1-5"])
def test_prompt_travel_moves_the_frame_between_the_two_prompts(ctx, model_id):
    base = LiveSettings(prompt="a cat", prompt_b="the dog", model_id=model_id, lcm_steps=2, **TINY)
    start, middle, end = _frames(ctx, base, dict(travel=0.5), dict(travel=1.0), image=_image())
    (only_b,) = _frames(
        ctx, LiveSettings(prompt="the dog", model_id=model_id, lcm_steps=2, **TINY), image=_image()
    )
    assert _differ(start, middle) and _differ(middle, end)
    assert _close(end, only_b)  # all the way: the second prompt's frame


def test_travel_without_a_second_prompt_changes_nothing(ctx):
    a, b = _frames(ctx, LiveSettings(prompt="a cat", **TINY), dict(travel=0.7))
    assert np.array_equal(a, b)


def test_negative_prompt_guidance_and_steps_change_the_lcm_frame(ctx):
    settings = LiveSettings(prompt="a cat", model_id="sd-v1-5", lcm_steps=2, guidance=2.0, **TINY)
    plain, negative, more_guidance, more_steps = _frames(
        ctx,
        settings,
        dict(negative_prompt="the dog"),
        dict(guidance=4.0),
        dict(lcm_steps=3),
        image=_image(),
    )
    assert _differ(plain, negative)
    assert _differ(negative, more_guidance)
    assert _differ(more_guidance, more_steps)


def test_negative_prompt_is_ignored_without_guidance(ctx):
    settings = LiveSettings(prompt="a cat", model_id="sd-v1-5", lcm_steps=2, guidance=1.0, **TINY)
    plain, negative = _frames(ctx, settings, dict(negative_prompt="the dog"), image=_image())
    assert np.array_equal(plain, negative)


@pytest.mark.parametrize("model_id", ["sd-turbo", "sd-v1-5"])
def test_seed_lock_keeps_the_noise_and_unlocking_redraws_it(ctx, model_id):
    settings = LiveSettings(prompt="a cat", model_id=model_id, lcm_steps=2, **TINY)
    first, locked, unlocked, unlocked_again = _frames(ctx, settings, {}, dict(seed_lock=False), {})
    assert np.array_equal(first, locked)
    assert _differ(locked, unlocked) and _differ(unlocked, unlocked_again)


def test_filter_on_skips_similar_frames_up_to_max_skip(ctx):
    settings = LiveSettings(
        prompt="a cat",
        width=64,
        height=64,
        filter_enabled=True,
        similarity_threshold=0.9,
        max_skip=2,
    )
    session = LiveSession(ctx, settings)
    image = _image()
    nudged = np.clip(image.astype(int) + 3, 0, 255).astype(np.uint8)  # about 1% different
    skipped = [session.step(img).skipped for img in (image, nudged, image, nudged, image)]
    assert skipped == [False, True, True, False, True]


def test_filter_threshold_decides_what_counts_as_similar(ctx):
    image = _image()
    nudged = np.clip(image.astype(int) + 3, 0, 255).astype(np.uint8)
    for threshold, expect in ((0.9, True), (0.999, False)):
        session = LiveSession(
            ctx, LiveSettings(prompt="a cat", width=64, height=64, similarity_threshold=threshold)
        )
        session.step(image)
        assert session.step(nudged).skipped is expect


def test_filter_off_never_skips_even_identical_frames(ctx):
    session = LiveSession(ctx, LiveSettings(prompt="a cat", **TINY))
    image = _image()
    assert not any(session.step(image).skipped for _ in range(4))
    assert session.frames == 4


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(travel=1.5), "Prompt travel"),
        (dict(guidance=-1.0), "Guidance"),
        (dict(lcm_steps=0), "Steps"),
        (dict(prompt_b="a NUDE portrait"), "refused by the content filter"),
        (dict(model_id="taesd"), "not a live"),
    ],
)
def test_bad_new_settings_are_refused(ctx, changes, message):
    with pytest.raises(BadInput, match=message):
        LiveSession(ctx, LiveSettings(**{**TINY, **changes})).step(None)


def test_model_table_matches_the_catalogue_and_says_what_takes_guidance(ctx):
    catalogue = ctx.store.catalogue
    for model in LIVE_MODELS.values():
        assert catalogue.get(model.id).task == "live"
        assert catalogue.get(model.tiny_vae).task == "vae"
        if model.lora:
            assert catalogue.get(model.lora).task == "lora"
    assert supports_guidance("sd-v1-5") and not supports_guidance("sd-turbo")
    assert not supports_guidance("sdxl-turbo") and not supports_guidance("nope")
    assert not catalogue.get("sdxl-turbo").commercial_use
    assert vae_for(LIVE_MODELS["sdxl-turbo"], "taesd") == "taesdxl"
    assert vae_for(LIVE_MODELS["sd-turbo"], None) is None
