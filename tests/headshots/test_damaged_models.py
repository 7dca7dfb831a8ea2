"""Damaged headshot model files (InstantID, antelopev2, TAESDXL) say "download again"."""

from __future__ import annotations

import pytest
import torch

from studio.core.errors import BadInput, ModelDamaged
from studio.pipelines import faces
from studio.pipelines.headshots import generate, instantid


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "onnx", ["scrfd_10g_bnkps.onnx", "glintr100.onnx"], ids=["detector", "recognition"]
)
def test_damaged_antelopev2_file(hs_store, onnx):
    _truncate(faces.pack_dir(hs_store) / onnx)
    with pytest.raises(ModelDamaged) as info:
        faces.load_face_analysis(hs_store, "cpu")
    assert "insightface antelopev2" in info.value.user_message
    assert "studio models download antelopev2 --force" in info.value.user_message


def test_damaged_instantid_files(hs_store):
    folder = hs_store.require("instantid")
    _truncate(folder / instantid.IP_ADAPTER_FILE)
    with pytest.raises(ModelDamaged, match="InstantID .* damaged"):
        instantid.load_ip_adapter_file(folder / instantid.IP_ADAPTER_FILE)
    _truncate(folder / instantid.CONTROLNET_DIR / "diffusion_pytorch_model.safetensors")
    with pytest.raises(ModelDamaged, match="download instantid --force"):
        instantid.load_controlnet(folder, "cpu", torch.float32)


def test_damaged_tiny_vae_names_it_when_loading_headshot_models(hs_context):
    _truncate(hs_context.store.model_dir("taesdxl") / "diffusion_pytorch_model.safetensors")
    with pytest.raises(BadInput, match="tiny VAE .*taesdxl.* download it again"):
        generate.load_models(hs_context)
