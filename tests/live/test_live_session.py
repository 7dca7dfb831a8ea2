"""The live frame loop with tiny sd-turbo + TAESD through the production loading code."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput, Cancelled, ModelMissing
from studio.pipelines.live.jobs import (
    LiveFrameRequest,
    LiveStreamRequest,
    run_frame,
    run_stream,
)
from studio.pipelines.live.session import LiveControls, LiveSession, LiveSettings

SMALL = dict(width=128, height=96)


def _image(seed=0, h=120, w=160):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


@pytest.fixture
def ctx(run_context, live_store):
    return run_context


def test_img2img_frame_has_the_default_size(ctx):
    frame = run_frame(LiveFrameRequest(LiveSettings(prompt="a cat"), _image()), ctx)
    assert frame.image.shape == (512, 512, 3) and frame.image.dtype == np.uint8
    assert frame.mode == "img2img" and not frame.skipped and frame.optimisation == "eager"
    assert ("Live frame", 1, 1) in ctx.reports
    loading = "Loading SD-Turbo + TAESD tiny VAE (SD 1.x/2.x)"  # catalogue names, not the key
    assert any(stage == loading for stage, _, _ in ctx.reports)


def test_txt2img_and_configured_size(ctx):
    session = LiveSession(ctx, LiveSettings(prompt="a cat", **SMALL))
    frame = session.step(None)
    assert frame.mode == "txt2img" and frame.image.shape == (96, 128, 3)
    again = LiveSession(ctx, LiveSettings(prompt="a cat", **SMALL)).step(None)
    np.testing.assert_array_equal(frame.image, again.image)  # same seed, same frame


def test_prompt_strength_and_seed_changes_apply_to_the_next_frame(ctx):
    controls = LiveControls(LiveSettings(prompt="a cat", max_skip=100, **SMALL))
    session = LiveSession(ctx, controls)
    img = _image()
    first = session.step(img).image
    controls.update(prompt="a dog")
    dog = session.step(img)
    assert not dog.skipped and dog.prompt == "a dog"
    assert not np.array_equal(first, dog.image)
    controls.update(strength=0.9)
    strong = session.step(img)
    assert not strong.skipped and not np.array_equal(dog.image, strong.image)
    controls.update(seed=7)
    assert not np.array_equal(strong.image, session.step(img).image)
    controls.update(prompt="a cat", strength=0.5, seed=0)
    np.testing.assert_array_equal(session.step(img).image, first)  # embeddings cached, same


def test_filter_skips_identical_frames_up_to_max_then_renders(ctx):
    session = LiveSession(ctx, LiveSettings(prompt="a cat", max_skip=3, **SMALL))
    img = _image()
    flags = [session.step(img.copy()).skipped for _ in range(9)]
    assert flags == [False, True, True, True, False, True, True, True, False]
    changed = _image(seed=1)
    assert not session.step(changed).skipped  # a different input renders at once
    nearly = changed.copy()
    nearly[0, 0] ^= 1  # one pixel off: still "identical" at threshold 0.98
    assert session.step(nearly).skipped


def test_filter_off_renders_every_frame(ctx):
    session = LiveSession(ctx, LiveSettings(prompt="x", max_skip=0, **SMALL))
    img = _image()
    assert not any(session.step(img).skipped for _ in range(3))


def test_stream_counts_frames_and_reports_previews(ctx):
    seen = []
    images = iter([_image(0), None, _image(1), _image(1)])
    request = LiveStreamRequest(
        controls=LiveControls(LiveSettings(prompt="a cat", **SMALL)),
        source=lambda: next(images),
        max_frames=4,
        on_frame=seen.append,
        idle_sleep_s=0,
    )
    result = run_stream(request, ctx)
    assert (result.frames, result.rendered, result.skipped) == (4, 2, 2)
    assert [f.skipped for f in seen] == [False, True, False, True]
    assert result.last.image.shape == (96, 128, 3)
    assert sum(stage == "Live" for stage, _, _ in ctx.reports) == 2


def test_stream_stops_on_cancel_without_a_result(ctx):
    controls = LiveControls(LiveSettings(prompt="a cat", **SMALL))

    def on_frame(frame):
        if frame.index == 2:
            ctx.cancel.cancel()

    request = LiveStreamRequest(controls=controls, on_frame=on_frame, idle_sleep_s=0)
    with pytest.raises(Cancelled):
        run_stream(request, ctx)


def test_source_failure_mid_stream_is_a_clear_error(ctx):
    frames = iter([_image()])

    def camera():
        try:
            return next(frames)
        except StopIteration:
            raise OSError("device unplugged") from None

    request = LiveStreamRequest(
        controls=LiveControls(LiveSettings(prompt="a", max_skip=0, **SMALL)), source=camera
    )
    with pytest.raises(BadInput, match="video source stopped"):
        run_stream(request, ctx)


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(width=500), "multiple of 8"),
        (dict(height=32), "multiple of 8"),
        (dict(strength=0.0), "Strength"),
        (dict(optimise="tensorrt"), "optimisation"),
        (dict(prompt="a NUDE portrait"), "refused by the content filter"),
    ],
)
def test_bad_settings_are_refused(ctx, changes, message):
    with pytest.raises(BadInput, match=message):
        LiveSession(ctx, LiveSettings(**changes)).step(None)


def test_bad_frame_is_refused(ctx):
    with pytest.raises(BadInput, match="RGB image"):
        LiveSession(ctx, LiveSettings(**SMALL)).step(np.zeros((4, 4, 7), np.uint8))


def test_missing_model_names_it(run_context):
    with pytest.raises(ModelMissing, match="SD-Turbo") as info:
        run_frame(LiveFrameRequest(LiveSettings(**SMALL)), run_context)
    assert info.value.model_id == "sd-turbo"


def test_missing_tiny_vae_names_it(run_context, tiny_sd_dir):
    from tests.fixtures.install import install_copy

    install_copy(run_context.store, "sd-turbo", tiny_sd_dir)
    with pytest.raises(ModelMissing) as info:
        run_frame(LiveFrameRequest(LiveSettings(**SMALL)), run_context)
    assert info.value.model_id == "taesd"
    # The model's own VAE works without TAESD.
    frame = run_frame(LiveFrameRequest(LiveSettings(vae_id=None, **SMALL), _image()), run_context)
    assert frame.image.shape == (96, 128, 3)


def test_switching_model_mid_stream_to_a_missing_one_fails_clearly(ctx):
    controls = LiveControls(LiveSettings(prompt="a", **SMALL))
    session = LiveSession(ctx, controls)
    session.step(None)
    controls.update(model_id="sdxl-inpaint")
    with pytest.raises(BadInput, match="not a live"):
        session.step(None)
    controls.update(model_id="sd-turbo", vae_id="taesdxl")  # not installed here
    with pytest.raises(ModelMissing, match="TAESDXL"):
        session.step(None)
    controls.update(vae_id="taesd")
    assert session.step(None).image.shape == (96, 128, 3)  # the stream recovers


def test_low_memory_mode_slices_attention_and_matches_the_full_frame(ctx):
    from studio.pipelines import live

    assert live.JOBS["live.frame"].low_memory and live.JOBS["live.stream"].low_memory
    img = _image()
    settings = LiveSettings(prompt="a cat", **SMALL)
    full = run_frame(LiveFrameRequest(settings, img), ctx)
    ctx.low_memory = True
    low = run_frame(LiveFrameRequest(settings, img), ctx)
    session = LiveSession(ctx, settings)
    eng = session.engine(settings)
    assert eng.low_memory and low.optimisation == "eager"
    kinds = {type(p).__name__ for p in eng.unet.attn_processors.values()}
    assert kinds == {"SlicedAttnProcessor"}
    # Slicing only changes the order of the sums: the frame is the same up to rounding.
    assert np.abs(full.image.astype(int) - low.image.astype(int)).max() <= 1
    ctx.low_memory = False
    run_frame(LiveFrameRequest(settings, img), ctx)  # back to full attention on a warm engine
    assert not eng.low_memory
    kinds = {type(p).__name__ for p in eng.unet.attn_processors.values()}
    assert "SlicedAttnProcessor" not in kinds
