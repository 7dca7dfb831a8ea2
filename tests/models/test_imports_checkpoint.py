"""An imported single-file SDXL checkpoint loads through diffusers' ``from_single_file``.

The tiny checkpoint is the tiny diffusers SDXL written back in the original (LDM / SGM) key
layout a downloaded ``.safetensors`` checkpoint has: ``model.diffusion_model.*``,
``conditioner.embedders.0.transformer.*`` (CLIP-L), ``conditioner.embedders.1.model.*``
(OpenCLIP bigG) and ``first_stage_model.*`` (VAE). diffusers' own converters are the oracle:
each part is checked to convert back to the diffusers weights before the test uses it.
"""

from __future__ import annotations

import pytest

from studio.core.errors import BadInput

_RESNET = (
    ("norm1", "in_layers.0"),
    ("conv1", "in_layers.2"),
    ("time_emb_proj", "emb_layers.1"),
    ("norm2", "out_layers.0"),
    ("conv2", "out_layers.3"),
    ("conv_shortcut", "skip_connection"),
)


def _resnet(rest: str) -> str:
    for new, old in _RESNET:
        if rest.startswith(new + "."):
            return old + rest[len(new) :]
    return rest


def unet_to_ldm(sd: dict, layers: int) -> dict:
    """diffusers UNet keys -> ``model.diffusion_model.*`` keys."""
    fixed = {
        "conv_in": "input_blocks.0.0",
        "time_embedding.linear_1": "time_embed.0",
        "time_embedding.linear_2": "time_embed.2",
        "add_embedding.linear_1": "label_emb.0.0",
        "add_embedding.linear_2": "label_emb.0.2",
        "conv_norm_out": "out.0",
        "conv_out": "out.2",
        "mid_block.resnets.0": "middle_block.0",
        "mid_block.attentions.0": "middle_block.1",
        "mid_block.resnets.1": "middle_block.2",
    }
    has_attention = {
        k.split(".")[1] for k in sd if k.startswith("up_blocks.") and ".attentions." in k
    }
    out = {}
    for key, value in sd.items():
        parts = key.split(".")
        new = None
        for prefix, ldm in fixed.items():
            if key.startswith(prefix + "."):
                rest = key[len(prefix) + 1 :]
                new = f"{ldm}.{_resnet(rest) if 'resnets' in prefix else rest}"
        if new is None and parts[0] in ("down_blocks", "up_blocks"):
            b, kind, j, rest = int(parts[1]), parts[2], int(parts[3]), ".".join(parts[4:])
            if parts[0] == "down_blocks":
                base = 1 + b * (layers + 1)
                if kind == "resnets":
                    new = f"input_blocks.{base + j}.0.{_resnet(rest)}"
                elif kind == "attentions":
                    new = f"input_blocks.{base + j}.1.{rest}"
                else:  # downsamplers.0.conv.*
                    new = f"input_blocks.{base + layers}.0.op.{parts[-1]}"
            else:
                base = b * (layers + 1)
                if kind == "resnets":
                    new = f"output_blocks.{base + j}.0.{_resnet(rest)}"
                elif kind == "attentions":
                    new = f"output_blocks.{base + j}.1.{rest}"
                else:  # upsamplers.0.conv.*
                    slot = 2 if parts[1] in has_attention else 1
                    new = f"output_blocks.{base + layers}.{slot}.conv.{parts[-1]}"
        assert new is not None, key
        out["model.diffusion_model." + new] = value
    return out


def open_clip_to_ldm(sd: dict, prefix: str = "conditioner.embedders.1.model.") -> dict:
    """diffusers ``CLIPTextModelWithProjection`` keys -> OpenCLIP keys (q/k/v fused)."""
    import torch

    named = {
        "text_model.embeddings.position_embedding.weight": "positional_embedding",
        "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
        "text_model.final_layer_norm.weight": "ln_final.weight",
        "text_model.final_layer_norm.bias": "ln_final.bias",
    }
    out = {prefix + "text_projection": sd["text_projection.weight"].T.contiguous()}
    for key, value in sd.items():
        if key in named:
            out[prefix + named[key]] = value
        elif key.startswith("text_model.encoder.layers."):
            n, rest = key.split(".")[3], ".".join(key.split(".")[4:])
            if rest.startswith("self_attn.q_proj."):
                kind = rest.rsplit(".", 1)[1]
                qkv = [sd[key.replace("q_proj", p)] for p in ("q_proj", "k_proj", "v_proj")]
                out[f"{prefix}transformer.resblocks.{n}.attn.in_proj_{kind}"] = torch.cat(qkv)
                continue
            if rest.startswith(("self_attn.k_proj.", "self_attn.v_proj.")):
                continue
            for new, old in (
                ("layer_norm1", "ln_1"),
                ("layer_norm2", "ln_2"),
                ("mlp.fc1", "mlp.c_fc"),
                ("mlp.fc2", "mlp.c_proj"),
                ("self_attn.out_proj", "attn.out_proj"),
            ):
                rest = rest.replace(new, old)
            out[f"{prefix}transformer.resblocks.{n}.{rest}"] = value
    return out


def vae_to_ldm(sd: dict, blocks: int) -> dict:
    """diffusers ``AutoencoderKL`` keys -> ``first_stage_model.*`` keys."""
    attn = (
        ("group_norm", "norm"),
        ("to_q", "q"),
        ("to_k", "k"),
        ("to_v", "v"),
        ("to_out.0", "proj_out"),
    )
    out = {}
    for key, value in sd.items():
        p = key.split(".")
        new = key.replace("conv_norm_out", "norm_out")
        if p[1] in ("down_blocks", "up_blocks"):
            i = int(p[2]) if p[1] == "down_blocks" else blocks - 1 - int(p[2])
            word = "down" if p[1] == "down_blocks" else "up"
            if p[3] == "resnets":
                rest = ".".join(p[5:]).replace("conv_shortcut", "nin_shortcut")
                new = f"{p[0]}.{word}.{i}.block.{p[4]}.{rest}"
            else:
                sampler = "downsample" if word == "down" else "upsample"
                new = f"{p[0]}.{word}.{i}.{sampler}.conv.{p[-1]}"
        elif p[1] == "mid_block":
            if p[2] == "resnets":
                rest = ".".join(p[4:]).replace("conv_shortcut", "nin_shortcut")
                new = f"{p[0]}.mid.block_{int(p[3]) + 1}.{rest}"
            else:
                rest = ".".join(p[4:])
                for a, b in attn:
                    rest = rest.replace(a + ".", b + ".")
                new = f"{p[0]}.mid.attn_1.{rest}"
                value = value[:, :, None, None] if value.ndim == 2 else value  # 1x1 convs
        out["first_stage_model." + new] = value
    return out


def write_ldm_checkpoint(sdxl_folder, path) -> dict:
    """The tiny diffusers SDXL in ``sdxl_folder`` as one original-layout safetensors file;
    returns the diffusers weights per component (what loading must give back)."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import (
        convert_ldm_clip_checkpoint,
        convert_ldm_unet_checkpoint,
        convert_ldm_vae_checkpoint,
        convert_open_clip_checkpoint,
    )
    from safetensors.torch import save_file
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    load = {"local_files_only": True, "variant": "fp16", "torch_dtype": torch.float32}
    unet = UNet2DConditionModel.from_pretrained(sdxl_folder, subfolder="unet", **load)
    vae = AutoencoderKL.from_pretrained(sdxl_folder, subfolder="vae", **load)
    load.pop("variant")
    te1 = CLIPTextModel.from_pretrained(sdxl_folder / "text_encoder", **load, variant="fp16")
    te2 = CLIPTextModelWithProjection.from_pretrained(
        sdxl_folder / "text_encoder_2", **load, variant="fp16"
    )
    want = {
        "unet": unet.state_dict(),
        "vae": vae.state_dict(),
        "text_encoder": te1.state_dict(),
        "text_encoder_2": te2.state_dict(),
    }
    ldm = {
        **unet_to_ldm(want["unet"], unet.config.layers_per_block),
        **vae_to_ldm(want["vae"], len(vae.config.down_block_types)),
        **{  # published checkpoints name CLIP-L's weights text_model.*
            "conditioner.embedders.0.transformer.text_model." + k.removeprefix("text_model."): v
            for k, v in want["text_encoder"].items()
        },
        **open_clip_to_ldm(want["text_encoder_2"]),
    }
    # diffusers' converters must give the diffusers weights back (the oracle for this fixture)
    checks = {
        "unet": convert_ldm_unet_checkpoint(ldm, dict(unet.config)),
        "vae": convert_ldm_vae_checkpoint(ldm, dict(vae.config)),
        "text_encoder": convert_ldm_clip_checkpoint(ldm),
        "text_encoder_2": convert_open_clip_checkpoint(te2, ldm, "conditioner.embedders.1.model."),
    }
    checks["text_encoder"] = {
        k.removeprefix("text_model."): v for k, v in checks["text_encoder"].items()
    }  # transformers 5's CLIPTextModel has no text_model. prefix in its state dict
    for name, got in checks.items():
        expected = {k for k in want[name] if "position_ids" not in k}
        assert set(got) >= expected, (name, sorted(expected - set(got))[:5])
        for k in expected:
            assert torch.equal(got[k].reshape(want[name][k].shape), want[name][k]), (name, k)
    save_file({k: v.contiguous() for k, v in ldm.items()}, str(path))
    return want


def _widen_second_text_encoder(folder, hidden: int = 48) -> None:
    """SDXL's two text encoders differ in width (768 and 1280), and diffusers tells them apart
    in a single file by it: the tiny SDXL gets a wider OpenCLIP encoder and a UNet whose
    cross-attention takes both (32 + ``hidden``)."""
    import shutil

    import torch
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    torch.manual_seed(1)
    config = CLIPTextConfig.from_pretrained(folder / "text_encoder_2")
    config.hidden_size = hidden
    encoder = CLIPTextModelWithProjection(config).half()
    shutil.rmtree(folder / "text_encoder_2")
    encoder.save_pretrained(folder / "text_encoder_2", variant="fp16")
    unet_config = dict(UNet2DConditionModel.load_config(folder / "unet"))
    unet_config["cross_attention_dim"] = 32 + hidden
    unet = UNet2DConditionModel.from_config(unet_config).half()
    shutil.rmtree(folder / "unet")
    unet.save_pretrained(folder / "unet", variant="fp16")


@pytest.fixture(scope="module")
def tiny_sdxl_inpaint(tmp_path_factory):
    from tests.fixtures.diffusion import build_tiny_sdxl

    root = tmp_path_factory.mktemp("ckpt_sdxl")
    build_tiny_sdxl(root / "sdxl-inpaint", inpaint=True)
    _widen_second_text_encoder(root / "sdxl-inpaint")
    return root


def test_an_imported_checkpoint_loads_as_the_sdxl_inpainting_pipeline(
    tmp_path, store, tiny_sdxl_inpaint
):
    import torch

    from studio.models.imports import import_model
    from studio.pipelines.canvas.own_models import load_imported_sdxl
    from tests.fixtures.install import install_copy

    install_copy(store, "sdxl-inpaint", tiny_sdxl_inpaint / "sdxl-inpaint")
    source = tmp_path / "my-finetune.safetensors"
    want = write_ldm_checkpoint(store.require("sdxl-inpaint"), source)
    entry = import_model(store, source)
    assert entry.task == "checkpoint" and entry.extra["inpaint"] is True
    pipe = load_imported_sdxl(store, entry.id, "cpu", torch.float32)
    assert type(pipe).__name__ == "StableDiffusionXLInpaintPipeline"
    for name in ("unet", "vae", "text_encoder", "text_encoder_2"):
        got = getattr(pipe, name).state_dict()
        for key, value in want[name].items():
            if "position_ids" not in key:
                assert torch.equal(got[key], value), (name, key)
    out = pipe(
        prompt="a red balloon",
        image=torch.rand(1, 3, 64, 64),
        mask_image=torch.ones(1, 1, 64, 64),
        width=64,
        height=64,
        num_inference_steps=2,
        output_type="np",
    ).images
    assert out.shape == (1, 64, 64, 3)


def test_a_base_checkpoint_gets_a_four_channel_unet(tmp_path, store, tiny_sdxl_inpaint):
    """Most fine-tunes are base SDXL models: the UNet keeps the checkpoint's 4 input channels
    (the inpainting pipeline blends latents), the configs still come from sdxl-inpaint."""
    import torch

    from studio.models.imports import import_model
    from studio.pipelines.canvas.own_models import load_imported_sdxl
    from tests.fixtures.diffusion import build_tiny_sdxl
    from tests.fixtures.install import install_copy

    install_copy(store, "sdxl-inpaint", tiny_sdxl_inpaint / "sdxl-inpaint")
    base = tmp_path / "base"
    build_tiny_sdxl(base, inpaint=False)
    _widen_second_text_encoder(base)
    want = write_ldm_checkpoint(base, tmp_path / "base-model.safetensors")
    entry = import_model(store, tmp_path / "base-model.safetensors")
    assert entry.extra["inpaint"] is False
    pipe = load_imported_sdxl(store, entry.id, "cpu", torch.float32)
    assert pipe.unet.config.in_channels == 4
    assert torch.equal(pipe.unet.state_dict()["conv_in.weight"], want["unet"]["conv_in.weight"])
    lora = import_model(store, _lora_for(tmp_path, pipe))
    with pytest.raises(BadInput, match="is not a checkpoint"):
        load_imported_sdxl(store, lora.id, "cpu", torch.float32)


def _lora_for(tmp_path, pipe):
    """A one-layer kohya LoRA that fits ``pipe``'s UNet."""
    import torch
    from safetensors.torch import save_file

    layer = pipe.unet.down_blocks[1].attentions[0].transformer_blocks[0].attn2.to_k
    key = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k"
    path = tmp_path / "lora.safetensors"
    save_file(
        {
            f"{key}.lora_down.weight": torch.zeros(4, layer.in_features),
            f"{key}.lora_up.weight": torch.zeros(layer.out_features, 4),
        },
        str(path),
    )
    return path
