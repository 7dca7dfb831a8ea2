"""The local face fix (face detail's "inpaint" method) on tiny models through the real
loaders: the tiny SCRFD pack finds one face at the image centre (a box half the image wide);
the tiny SDXL inpainting model with its tiny LCM-LoRA repaints it."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput, Cancelled, ModelMissing
from studio.pipelines.canvas import JOBS
from studio.pipelines.canvas import local_fix as lf
from studio.pipelines.canvas.face_detail import NO_FACE, FaceDetailRequest
from tests.fixtures.face_models import build_tiny_antelopev2
from tests.fixtures.install import install_copy


@pytest.fixture(scope="module")
def detector_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("local_fix_detector")
    build_tiny_antelopev2(folder)
    return folder


@pytest.fixture
def fix_models(store, sdxl, detector_folder):
    install_copy(store, "antelopev2", detector_folder)
    return store


def _portrait(side):
    """A real photo (scikit-image's astronaut), ``side`` px square."""
    from PIL import Image
    from skimage import data

    return np.asarray(Image.fromarray(data.astronaut()).resize((side, side)))


def _request(image, **kw):
    base = dict(image=image, prompt="a detailed face", seed=3, work_side=128)
    base.update(kw)
    return lf.LocalFixRequest(**base)


def test_only_the_face_region_changes(run_context, fix_models):
    portrait = _portrait(256)
    result = lf.run(_request(portrait, margin=0.2), run_context)
    out = result.image
    assert out.shape == portrait.shape and out.dtype == np.uint8 and result.message is None
    [box], [crop] = result.boxes, result.crops
    x0, y0, x1, y1 = box
    assert 80 <= x1 - x0 <= 176  # about half the image wide
    cx0, cy0, cx1, cy1 = crop
    assert cx1 - cx0 == cy1 - cy0 == 192  # 1.4 face sides, rounded up to 64
    assert cx0 <= x0 and cy0 <= y0 and x1 <= cx1 and y1 <= cy1
    changed = np.any(out != portrait, axis=2)
    assert changed[y0:y1, x0:x1].mean() > 0.5  # the face is repainted
    outside = np.ones(changed.shape, bool)
    outside[cy0:cy1, cx0:cx1] = False
    assert not changed[outside].any()  # beyond the crop: bit-identical
    # A margin this small lets the feather reach the crop's sides: it fades out there.
    ring = np.ones((cy1 - cy0, cx1 - cx0), bool)
    ring[1:-1, 1:-1] = False
    assert not changed[cy0:cy1, cx0:cx1][ring].any()
    assert ("Fixing faces", 0, 1) in run_context.reports
    assert ("Fixing faces", 1, 1) in run_context.reports
    assert not [r for r in run_context.reports if r[0] == "Filling"]  # faces are the steps
    again = lf.run(_request(portrait, margin=0.2), run_context)
    assert np.array_equal(again.image, out)  # same seed, same face


def _unet_sizes(run_context):
    """Latent sizes the warm fill pipeline's UNet sees (recorded by a forward pre-hook)."""
    pipe = run_context.cache.get("sdxl-inpaint:cpu", lambda: None)
    sizes = []
    handle = pipe.unet.register_forward_pre_hook(
        lambda _m, args: sizes.append(tuple(args[0].shape[-2:]))
    )
    return sizes, handle


def test_the_crop_runs_at_its_native_size_and_small_crops_are_upscaled(run_context, fix_models):
    portrait = _portrait(384)
    first = lf.run(_request(portrait, margin=0.25, steps=4, strength=0.5), run_context)
    [crop] = first.crops
    assert crop[2] - crop[0] == 320  # 192 px face x 1.5, rounded up to 64
    sizes, handle = _unet_sizes(run_context)  # the same warm pipeline: nothing reloaded
    try:
        lf.run(_request(portrait, margin=0.25, steps=4, strength=0.5), run_context)
        native = set(sizes)
        sizes.clear()
        lf.run(_request(portrait, margin=0.25, steps=4, strength=0.5, work_side=512), run_context)
        upscaled = set(sizes)
    finally:
        handle.remove()
    assert native == {(40, 40)}  # 320 px, not scaled to the 128 px work side
    assert upscaled == {(64, 64)}  # a crop smaller than the work side: up to 512 px


def test_square_crop_stays_inside_the_image():
    assert lf.square_crop((0, 0, 40, 40), (300, 500, 3), 0.6) == (0, 0, 128, 128)
    assert lf.square_crop((460, 250, 500, 300), (300, 500, 3), 0.6) == (372, 172, 500, 300)
    assert lf.square_crop((10, 10, 90, 90), (100, 120, 3), 1.0) == (0, 0, 100, 100)


def test_no_face_leaves_the_image_unchanged_with_a_message(run_context, fix_models):
    portrait = _portrait(128)
    res = JOBS["canvas.face_detail"](
        FaceDetailRequest(image=portrait, method="inpaint", min_face_px=4000), run_context
    )
    assert np.array_equal(res.image, portrait)
    assert res.message == NO_FACE and res.boxes == []
    assert res.settings["method"] == "inpaint"


def test_face_detail_inpaint_method_changes_the_face(run_context, fix_models):
    portrait = _portrait(192)
    res = JOBS["canvas.face_detail"](
        FaceDetailRequest(
            image=portrait, method="inpaint", prompt="a smiling face", seed=5, work_side=128
        ),
        run_context,
    )
    assert res.message is None and len(res.boxes) == 1
    assert res.settings["strength"] == 0.4 and res.settings["prompt"] == "a smiling face"
    x0, y0, x1, y1 = res.boxes[0]
    changed = np.any(res.image != portrait, axis=2)
    assert changed[y0:y1, x0:x1].mean() > 0.5
    assert not changed[:4].any()  # the top edge is beyond the face's mask


def test_missing_inpainting_models_are_named_together(run_context, store, detector_folder):
    install_copy(store, "antelopev2", detector_folder)
    with pytest.raises(ModelMissing) as err:
        lf.run(_request(_portrait(128)), run_context)
    assert set(err.value.model_ids) == {"sdxl-inpaint", "lcm-lora-sdxl"}
    assert "studio models download" in str(err.value)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"method": "sharpen"}, "method must be one of restore, inpaint"),
        ({"method": "inpaint", "strength": 1.5}, "strength must be 0 to 1"),
    ],
)
def test_bad_face_detail_values_are_refused(run_context, kw, message):
    with pytest.raises(BadInput, match=message):
        JOBS["canvas.face_detail"](FaceDetailRequest(image=_portrait(64), **kw), run_context)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"steps": 20}, "2 to 12 LCM steps"),
        ({"prompt": "  "}, "Describe the face"),
        ({"margin": 5.0}, "margin must be"),
    ],
)
def test_bad_local_fix_values_are_refused_before_loading(run_context, kw, message):
    with pytest.raises(BadInput, match=message):
        lf.run(_request(_portrait(64), **kw), run_context)


def test_cancel_between_faces_returns_nothing(run_context, fix_models):
    portrait = _portrait(192)
    original = portrait.copy()
    inner = run_context.progress

    def progress(stage, done, total, preview=None):
        inner(stage, done, total, preview)
        if stage == "Fixing faces" and done == 0:
            run_context.cancel.cancel()  # the user presses Cancel as the faces start

    run_context.progress = progress
    with pytest.raises(Cancelled):
        lf.run(_request(portrait), run_context)
    assert np.array_equal(portrait, original)
    assert ("Fixing faces", 1, 1) not in run_context.reports


def _cli(store, monkeypatch, *argv: str) -> int:
    import argparse

    from studio.clis import canvas as cli

    monkeypatch.setenv("STUDIO_MODELS_DIR", str(store.root))
    parser = argparse.ArgumentParser(prog="studio")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["canvas", *argv, "-q"])
    return args.func(args)


def test_cli_inpaint_method_writes_the_fixed_photo(fix_models, monkeypatch, tmp_path, capsys):
    from PIL import Image

    from studio.core.export import read_settings

    portrait = _portrait(128)
    src, out = tmp_path / "photo.png", tmp_path / "out.png"
    Image.fromarray(portrait).save(src)
    argv = ["face-detail", str(src), "-o", str(out), "--method", "inpaint", "--work-side", "128"]
    assert _cli(fix_models, monkeypatch, *argv, "--prompt", "a calm face", "--seed", "4") == 0
    pixels = np.asarray(Image.open(out).convert("RGB"))
    assert pixels.shape == portrait.shape and not np.array_equal(pixels, portrait)
    settings = read_settings(out)
    assert settings["method"] == "inpaint" and settings["prompt"] == "a calm face"
    assert settings["seed"] == 4
    # --prompt without the inpaint method is a mistake, said plainly.
    bad = ["face-detail", str(src), "-o", str(tmp_path / "b.png"), "--prompt", "x"]
    assert _cli(fix_models, monkeypatch, *bad) == 2
    assert "--method inpaint" in capsys.readouterr().err
