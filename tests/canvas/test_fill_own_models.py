"""Fill and Expand with your own models: a tiny SDXL checkpoint and a LoRA written in the test
(the original single-file layout, and kohya keys), imported through ``import_model`` (the
code behind ``studio models import``), then used by real fill jobs on the CPU."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.canvas.fill import FillRequest, run
from tests.canvas.own_model_files import build_own_files, install_own


@pytest.fixture
def own(store, tmp_path_factory):
    """The ids of your checkpoint and LoRA, imported into the test's store."""
    return install_own(store, build_own_files(tmp_path_factory))


def _mask(photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[30:60, 40:80] = 255
    return mask


def _fill(ctx, photo, steps=2, **kw):
    mask = _mask(photo)
    req = FillRequest(photo, mask, "a red balloon", seed=3, steps=steps, work_side=128, **kw)
    return run(req, ctx)


def _changed(a, b, alpha):
    inside = alpha > 0
    return np.abs(a.astype(int) - b.astype(int))[inside].mean()


def test_fill_with_your_checkpoint_and_lora_then_back(run_context, own, photo):
    checkpoint, lora = own
    default = _fill(run_context, photo)
    mine = _fill(run_context, photo, model=checkpoint)
    outside = mine.alpha == 0
    assert (mine.images[0][outside] == photo[outside]).all()  # the rest is untouched
    assert _changed(mine.images[0], default.images[0], mine.alpha) > 1.0
    assert f"{checkpoint}:cpu" in run_context.cache and "sdxl-inpaint:cpu" in run_context.cache
    assert mine.settings["model"] == checkpoint and "lora" not in mine.settings

    styled = _fill(run_context, photo, model=checkpoint, lora=lora, lora_weight=1.5)
    assert styled.settings["lora"] == lora and styled.settings["lora_weight"] == 1.5
    assert _changed(styled.images[0], mine.images[0], mine.alpha) > 1.0
    # Weight 0 is the model alone; without a LoRA the adapter is off again.
    zero = _fill(run_context, photo, model=checkpoint, lora=lora, lora_weight=0.0)
    assert np.array_equal(zero.images[0], mine.images[0])
    assert np.array_equal(_fill(run_context, photo, model=checkpoint).images[0], mine.images[0])
    # Back to the catalogue model: the same result as before the switch.
    assert np.array_equal(_fill(run_context, photo).images[0], default.images[0])


def test_fast_mode_with_a_base_checkpoint_and_a_lora(run_context, own, photo):
    """The LCM-LoRA fits a base SDXL fine-tune (it was made for base SDXL): fused when alone,
    both adapters active and unfused with a LoRA of yours beside it."""
    checkpoint, lora = own
    fast = _fill(run_context, photo, model=checkpoint, fast=True, steps=4)
    pipe = run_context.cache.get(f"{checkpoint}:cpu", lambda: None)
    assert pipe.unet.config.in_channels == 4
    assert type(pipe.scheduler).__name__ == "LCMScheduler" and pipe._studio_fused
    styled = _fill(run_context, photo, model=checkpoint, fast=True, steps=4, lora=lora)
    assert not pipe._studio_fused
    assert pipe._studio_adapters[0] == (("lcm", 1.0), (lora.replace("-", "_"), 1.0))
    assert _changed(styled.images[0], fast.images[0], fast.alpha) > 1.0
    again = _fill(run_context, photo, model=checkpoint, fast=True, steps=4)
    assert (
        pipe._studio_fused
        and np.abs(again.images[0].astype(int) - fast.images[0].astype(int)).max() <= 2
    )  # fused again: the same result up to rounding


@pytest.mark.parametrize(
    ("which", "match"),
    [
        ({"model": "LORA"}, "is a LoRA, not a model to fill with"),
        ({"lora": "CHECKPOINT"}, "is not a LoRA"),
        ({"model": "lama-big"}, "not a model Fill can paint with"),
        ({"model": "user-nothing"}, "There is no model 'user-nothing'"),
        ({"lora": "lcm-lora-sdxl"}, "tick Fast"),
        ({"lora": "lcm-lora-sdv1-5"}, "not a LoRA you imported"),
        ({"lora": "LORA", "lora_weight": 9.0}, "between -4 and 4"),
    ],
)
def test_a_model_of_the_wrong_kind_is_refused(run_context, own, photo, which, match):
    ids = {"CHECKPOINT": own[0], "LORA": own[1]}
    kw = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in which.items()}
    with pytest.raises(BadInput, match=match):
        _fill(run_context, photo, **kw)


def test_expand_refuses_a_wrong_model_before_lama_runs(run_context, own, photo):
    """No LaMa is installed: a ModelMissing would mean the check came too late."""
    from studio.pipelines.canvas.expand import ExpandRequest
    from studio.pipelines.canvas.expand import run as expand

    with pytest.raises(BadInput, match="is a LoRA"):
        expand(ExpandRequest(image=photo, right=32, model=own[1]), run_context)


def test_expand_with_your_checkpoint_and_lora(run_context, own, photo, install):
    from studio.pipelines.canvas.expand import ExpandRequest
    from studio.pipelines.canvas.expand import run as expand

    install("lama-big")
    checkpoint, lora = own
    req = ExpandRequest(
        image=photo, right=32, seed=2, steps=2, work_side=128, model=checkpoint, lora=lora
    )
    out = expand(req, run_context)
    assert out.image.shape == (96, 160, 3) and np.array_equal(out.image[:, :128], photo)
    assert out.settings["model"] == checkpoint and out.settings["lora"] == lora


def test_cli_fill_with_model_and_lora_weight(own, photo, tmp_path, store, monkeypatch, capsys):
    import argparse

    from PIL import Image

    from studio.clis import canvas as cli

    monkeypatch.setenv("STUDIO_MODELS_DIR", str(store.root))
    checkpoint, lora = own
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(_mask(photo)).save(tmp_path / "mask.png")

    def studio(*argv):
        parser = argparse.ArgumentParser(prog="studio")
        cli.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["canvas", *argv, "-q"])
        return args.func(args)

    common = ["--image", str(tmp_path / "photo.png"), "--mask", str(tmp_path / "mask.png")]
    common += ["--prompt", "x", "--steps", "2", "--work-side", "128", "--seed", "1"]
    out = tmp_path / "out.png"
    assert 0 == studio(
        "fill", *common, "--model", checkpoint, "--lora", f"{lora}:0.5", "-o", str(out)
    )
    text = Image.open(out).text
    assert (text["model"], text["lora"], text["lora_weight"]) == (checkpoint, lora, "0.5")
    assert studio("fill", *common, "--model", lora, "-o", str(tmp_path / "bad.png")) == 2
    assert "is a LoRA" in capsys.readouterr().err
    bad = str(tmp_path / "bad.png")
    assert studio("expand", str(tmp_path / "photo.png"), "--right", "8", "--model", lora, "-o", bad)
    assert "is a LoRA" in capsys.readouterr().err  # refused before LaMa loads
    assert studio("fill", *common, "--lora", f"{lora}:9", "-o", bad) == 2
    assert "between -4 and 4" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: a weight that is no number
        studio("fill", *common, "--lora", f"{lora}:heavy", "-o", str(tmp_path / "bad.png"))
    assert "weight" in capsys.readouterr().err
