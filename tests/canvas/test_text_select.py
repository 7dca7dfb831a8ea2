"""Select by words: a tiny random CLIPSeg in the published layout, refined by a tiny SAM."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.canvas import JOBS
from studio.pipelines.canvas.text_select import CLIPSEG_ID, TextSelectRequest


@pytest.fixture(scope="module")
def clipseg_folder(tmp_path_factory):
    """``CIDAS/clipseg-rd64-refined``'s files (config, safetensors, CLIP tokenizer, ViT image
    processor) for a 2-layer CLIPSeg with 32-pixel inputs."""
    import torch
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation, ViTImageProcessor

    from tests.fixtures.diffusion import write_tiny_clip_tokenizer

    folder = tmp_path_factory.mktemp("clipseg") / CLIPSEG_ID
    vocab = write_tiny_clip_tokenizer(folder, pad_token="!")
    torch.manual_seed(0)
    small = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2}
    config = CLIPSegConfig(
        text_config={**small, "vocab_size": len(vocab), "num_attention_heads": 4},
        vision_config={**small, "num_attention_heads": 4, "image_size": 32, "patch_size": 4},
        projection_dim=32,
        extract_layers=[1],
        reduce_dim=16,
        decoder_num_attention_heads=2,
        decoder_intermediate_size=32,
    )
    model = CLIPSegForImageSegmentation(config)
    with torch.no_grad():  # moderate logits: random weights saturate the sigmoid at 1.0
        for param in model.decoder.transposed_convolution.parameters():
            param.mul_(0.05)
    model.save_pretrained(folder, safe_serialization=True)
    ViTImageProcessor(
        size={"height": 32, "width": 32},
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    ).save_pretrained(folder)
    assert (folder / "model.safetensors").is_file()
    return folder


@pytest.fixture
def clipseg(store, clipseg_folder):
    from tests.fixtures.install import install_copy

    install_copy(store, CLIPSEG_ID, clipseg_folder)


def test_text_selection_is_a_mask_of_the_image_size_that_sam_refines(
    run_context, install, clipseg, photo
):
    install("sam-vit-b")
    h, w = photo.shape[:2]
    coarse = JOBS["canvas.text_select"](
        TextSelectRequest(image=photo, prompt="the astronaut", threshold=0.01, refine=False),
        run_context,
    )
    assert coarse.mask.shape == (h, w) and coarse.mask.dtype == np.uint8
    assert set(np.unique(coarse.mask)) <= {0, 255} and coarse.mask.any()
    assert coarse.heat.shape == (h, w) and 0.0 <= coarse.heat.min() <= coarse.heat.max() <= 1.0
    refined = JOBS["canvas.text_select"](
        TextSelectRequest(image=photo, prompt="the astronaut", threshold=0.01), run_context
    )
    assert refined.refined and refined.mask.shape == (h, w)
    assert (refined.coarse == coarse.mask).all()
    assert not (refined.mask == coarse.mask).all()  # SAM changed the region
    x, y = refined.point
    assert refined.heat[y, x] == refined.heat.max()
    clicked = JOBS["canvas.text_select"](  # a click joins the words
        TextSelectRequest(
            image=photo, prompt="the astronaut", threshold=0.01, points=[(5, 5)], labels=[0]
        ),
        run_context,
    )
    assert clicked.mask.shape == (h, w)
    assert ("Finding the words", 1, 1) in run_context.reports


def test_missing_models_are_named_together(run_context, photo):
    from studio.core.errors import ModelMissing

    with pytest.raises(ModelMissing) as err:
        JOBS["canvas.text_select"](TextSelectRequest(image=photo, prompt="car"), run_context)
    assert "CLIPSeg" in err.value.user_message and "ViT-B" in err.value.user_message


def test_nothing_matching_and_bad_requests_are_clear(run_context, clipseg, photo):
    """(SAM is not installed here: CLIPSeg alone answers with ``refine=False``.)"""
    probe = TextSelectRequest(image=photo, prompt="a cat", threshold=0.01, refine=False)
    hottest = float(JOBS["canvas.text_select"](probe, run_context).heat.max())
    assert hottest < 0.999
    with pytest.raises(BadInput, match="Nothing in the image matched 'a cat'"):
        JOBS["canvas.text_select"](
            TextSelectRequest(
                image=photo, prompt="  a   cat ", threshold=(hottest + 1) / 2, refine=False
            ),
            run_context,
        )
    for kw, message in [
        ({"prompt": "  "}, "Describe what to select"),
        ({"prompt": "x" * 300}, "at most 200"),
        ({"prompt": "car", "threshold": 1.0}, "threshold"),
        ({"prompt": "car", "threshold": float("nan")}, "threshold"),
        ({"prompt": "car", "points": [(1, 1)]}, "label"),
    ]:
        with pytest.raises(BadInput, match=message):
            JOBS["canvas.text_select"](TextSelectRequest(image=photo, **kw), run_context)


def test_cli_segment_by_text(store, install, clipseg, photo, tmp_path, monkeypatch, capsys):
    import argparse

    from PIL import Image

    from studio.clis import canvas as cli

    install("sam-vit-b")
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(store.root))
    src, out = tmp_path / "photo.png", tmp_path / "mask.png"
    Image.fromarray(photo).save(src)

    def run(*argv: str) -> int:
        parser = argparse.ArgumentParser(prog="studio")
        cli.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["canvas", "segment", "--image", str(src), *argv, "-q"])
        return args.func(args)

    assert run("--text", "the astronaut", "--text-threshold", "0.01", "-o", str(out)) == 0
    mask = np.asarray(Image.open(out))
    assert mask.shape == photo.shape[:2] and mask.any()
    assert run("--text", "x", "--box", "1,1,5,5", "-o", str(tmp_path / "m2.png")) == 2
    assert "--box does not combine with --text" in capsys.readouterr().err
