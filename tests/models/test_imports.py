"""Your own models: tiny .safetensors files with the real key names, imported into a store."""

from __future__ import annotations

import json

import pytest

from studio.core.errors import BadInput
from studio.models.catalogue import load_catalogue
from studio.models.imports import (
    CHECKPOINT_FILE,
    LORA_FILE,
    ImportRefused,
    catalogue_with_imports,
    detect,
    import_model,
    imported_entries,
    remove_imported,
)
from studio.models.store import ModelStore
from studio.models.verify import verify_installed

UNET = "model.diffusion_model."


def _save(path, shapes):
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    save_file({k: torch.randn(s) for k, s in shapes.items()}, str(path))
    return path


def _checkpoint(path, context=2048, channels=4):
    return _save(
        path,
        {
            f"{UNET}input_blocks.0.0.weight": (8, channels, 3, 3),
            f"{UNET}input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": (8, context),
            f"{UNET}input_blocks.4.1.transformer_blocks.0.attn2.to_v.weight": (8, context),
            f"{UNET}input_blocks.4.1.transformer_blocks.0.attn1.to_k.weight": (8, 8),
            "conditioner.embedders.1.model.ln_final.weight": (8,),
        },
    )


def _kohya_lora(path, context=2048):
    key = "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k"
    return _save(
        path,
        {
            f"{key}.lora_down.weight": (4, context),
            f"{key}.lora_up.weight": (8, 4),
            f"{key}.alpha": (),
        },
    )


def _peft_lora(path, context=2048):
    key = "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k"
    return _save(path, {f"{key}.lora_A.weight": (4, context), f"{key}.lora_B.weight": (8, 4)})


def test_detection_from_key_names_and_shapes(tmp_path):
    ckpt = detect(_checkpoint(tmp_path / "xl.safetensors"))
    assert (ckpt.kind, ckpt.architecture, ckpt.context_dim, ckpt.inpaint) == (
        "checkpoint",
        "SDXL",
        2048,
        False,
    )
    assert detect(_checkpoint(tmp_path / "xl-inpaint.safetensors", channels=9)).inpaint
    assert detect(_checkpoint(tmp_path / "sd15.safetensors", context=768)).architecture == "SD 1.5"
    for build in (_kohya_lora, _peft_lora):
        lora = detect(build(tmp_path / f"{build.__name__}.safetensors"))
        assert (lora.kind, lora.architecture, lora.context_dim) == ("lora", "SDXL", 2048)
    text_only = _save(
        tmp_path / "te.safetensors", {"lora_te2_text_model_x.lora_down.weight": (4, 8)}
    )
    assert detect(text_only).architecture == "SDXL"  # only SDXL has a second text encoder


def test_import_a_checkpoint_and_a_lora_into_the_store(tmp_path, store):
    ckpt = import_model(store, _checkpoint(tmp_path / "My Model v2.safetensors"))
    lora = import_model(store, _kohya_lora(tmp_path / "style.safetensors"), name="Ink style")
    assert ckpt.id == "user-my-model-v2" and ckpt.task == "checkpoint"
    assert lora.id == "user-ink-style" and lora.task == "lora" and lora.name == "Ink style"
    for entry, filename in ((ckpt, CHECKPOINT_FILE), (lora, LORA_FILE)):
        assert entry.licence == "provided by you" and not entry.commercial_use
        assert entry.extra["architecture"] == "SDXL"
        assert store.is_installed(entry.id) and (store.require(entry.id) / filename).is_file()
        assert store.manifest(entry.id)["sha256"][filename] == entry.urls[0].sha256
        assert verify_installed(store, entry.id) == []
    # Persisted: a new store over the same folder (the next start of the app) lists them.
    fresh = ModelStore(store.root, catalogue_with_imports(load_catalogue(), store.root))
    assert {e.id for e in fresh.installed()} >= {ckpt.id, lora.id}
    assert fresh.catalogue.get(lora.id).extra["context_dim"] == 2048
    # The same file again is the same model (a store that did not list the imports too);
    # another file with the same name gets a new id.
    assert import_model(store, tmp_path / "style.safetensors").id == lora.id
    plain = ModelStore(store.root, load_catalogue())
    assert import_model(plain, tmp_path / "style.safetensors").id == lora.id
    seen = []
    other = import_model(
        plain,
        _peft_lora(tmp_path / "b.safetensors"),
        name="Ink style",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert other.id == "user-ink-style-2" and seen[-1][0] == seen[-1][1] > 0
    assert not list((store.root / ".staging").iterdir())  # nothing left half-imported
    remove_imported(store, other.id)
    assert other.id not in store.catalogue
    assert not (store.root / other.id).exists()
    assert [e.id for e in imported_entries(store.root)] == [ckpt.id, lora.id]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: _checkpoint(p / "sd15.safetensors", context=768),
            "'sd15.safetensors' is an SD 1.5 checkpoint; Studio's fill and headshots need SDXL.",
        ),
        (
            lambda p: _kohya_lora(p / "old.safetensors", context=768),
            "is an SD 1.5 LoRA; Studio's fill and headshots need SDXL",
        ),
        (
            lambda p: _checkpoint(p / "refiner.safetensors", context=1280),
            "is an SDXL refiner checkpoint",
        ),
        (
            lambda p: _save(
                p / "flux.safetensors", {"double_blocks.0.img_attn.qkv.weight": (4, 4)}
            ),
            "neither a Stable Diffusion checkpoint nor a LoRA",
        ),
    ],
)
def test_wrong_architectures_are_refused(tmp_path, store, make, message):
    with pytest.raises(ImportRefused, match=message.replace("(", r"\(")):
        import_model(store, make(tmp_path))
    assert not imported_entries(store.root)
    assert not list((store.root).glob("user-*"))


def test_files_that_are_not_safetensors_are_refused(tmp_path, store):
    noise = tmp_path / "noise.safetensors"
    noise.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ImportRefused, match="not a safetensors file"):
        import_model(store, noise)
    (tmp_path / "tiny.safetensors").write_bytes(b"abc")
    with pytest.raises(ImportRefused, match="not a safetensors file"):
        import_model(store, tmp_path / "tiny.safetensors")
    (tmp_path / "model.ckpt").write_bytes(b"PK\x03\x04 pickled")
    with pytest.raises(ImportRefused, match="not a safetensors file"):
        import_model(store, tmp_path / "model.ckpt")
    with pytest.raises(BadInput, match="does not exist"):
        import_model(store, tmp_path / "missing.safetensors")
    (tmp_path / "my models").mkdir()
    with pytest.raises(BadInput, match="'my models' is a folder; choose a .safetensors file"):
        import_model(store, tmp_path / "my models")
    with pytest.raises(ImportRefused, match="is a LoRA, not a checkpoint"):
        import_model(store, _kohya_lora(tmp_path / "l.safetensors"), kind="checkpoint")
    store.root.mkdir(parents=True, exist_ok=True)
    (store.root / "imported.json").write_text("{broken")
    with pytest.raises(BadInput, match="damaged"):
        imported_entries(store.root)


def test_cli_imports_and_refuses(tmp_path, monkeypatch, capsys):
    from studio.cli import main

    monkeypatch.setenv("STUDIO_MODELS_DIR", str(tmp_path / "store"))
    path = _kohya_lora(tmp_path / "mine.safetensors")
    assert main(["models", "import", str(path), "--name", "Mine"]) == 0
    out = capsys.readouterr().out
    assert "user-mine: imported (SDXL lora" in out and "provided by you" in out
    index = json.loads((tmp_path / "store" / "imported.json").read_text())
    assert [m["id"] for m in index["models"]] == ["user-mine"]
    assert main(["models", "list"]) == 0
    assert (
        "user-mine" in capsys.readouterr().out
        and "provided by you" in (tmp_path / "store" / "imported.json").read_text()
    )
    assert main(["models", "verify", "user-mine"]) == 0
    assert "user-mine: ok" in capsys.readouterr().out
    assert main(["models", "delete", "user-mine"]) == 0
    assert json.loads((tmp_path / "store" / "imported.json").read_text())["models"] == []
    assert not (tmp_path / "store" / "user-mine").exists()
    capsys.readouterr()
    bad = _checkpoint(tmp_path / "sd15.safetensors", context=768)
    assert main(["models", "import", str(bad)]) == 2
    assert "an SD 1.5 checkpoint; Studio's fill and headshots need SDXL" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny_sdxl(tmp_path_factory):
    from tests.fixtures.diffusion import build_tiny_lcm_lora_sdxl, build_tiny_sdxl

    root = tmp_path_factory.mktemp("imports_sdxl")
    build_tiny_sdxl(root / "sdxl-inpaint", inpaint=True)
    build_tiny_lcm_lora_sdxl(root / "lora", root / "sdxl-inpaint")
    return root


def test_an_imported_lora_loads_onto_the_sdxl_pipeline(tmp_path, store, tiny_sdxl):
    """The tiny SDXL's cross-attention is 64 wide: an imported LoRA must fit the installed
    SDXL, so a LoRA made for it is accepted and a 2048-wide one is not."""
    import shutil

    import torch

    from studio.pipelines.canvas.own_models import load_imported_lora
    from studio.pipelines.diffusion_loading import load_sdxl_pipeline
    from tests.fixtures.install import install_copy

    install_copy(store, "sdxl-inpaint", tiny_sdxl / "sdxl-inpaint")
    source = tmp_path / "tiny-style.safetensors"
    shutil.copyfile(tiny_sdxl / "lora" / LORA_FILE, source)
    entry = import_model(store, source)
    assert entry.extra["context_dim"] == 64
    with pytest.raises(ImportRefused, match="does not fit the installed SDXL"):
        import_model(store, _kohya_lora(tmp_path / "big.safetensors"))
    pipe = load_sdxl_pipeline(store.require("sdxl-inpaint"), "cpu", torch.float32, inpaint=True)
    layer = pipe.unet.down_blocks[1].attentions[0].transformer_blocks[0].attn2.to_k
    before = layer.weight.detach().clone()
    adapter = load_imported_lora(pipe, store, entry.id, weight=0.5)
    assert adapter == "user_tiny_style" and adapter in pipe.get_list_adapters()["unet"]
    assert load_imported_lora(pipe, store, entry.id, weight=0.8) == adapter  # loaded once
    assert pipe.get_list_adapters()["unet"].count(adapter) == 1
    with pytest.raises(BadInput, match="weight"):
        load_imported_lora(pipe, store, entry.id, weight=float("nan"))
    pipe.fuse_lora(adapter_names=[adapter])
    layer = pipe.unet.down_blocks[1].attentions[0].transformer_blocks[0].attn2.to_k
    assert not torch.equal(getattr(layer, "base_layer", layer).weight, before)
