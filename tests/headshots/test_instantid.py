"""insightface loading from the store, and the InstantID loader against the published layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.core.errors import BadInput, ModelMissing
from studio.pipelines import faces
from studio.pipelines.headshots import instantid


def test_face_analysis_from_store(hs_store, photos):
    analysis = faces.load_face_analysis(hs_store)
    found = faces.detect_faces(analysis, photos["astronaut"])
    assert len(found) == 1  # the stand-in detector finds exactly one (centred) face
    face = found[0]
    assert face.kps.shape == (5, 2) and face.bbox.shape == (4,)
    assert face.embedding.shape == (512,)
    assert np.linalg.norm(face.embedding) == pytest.approx(1.0, abs=1e-5)
    assert face.kps[0, 0] < face.kps[1, 0]  # left eye left of right eye
    crop = faces.align_face(photos["astronaut"], face.kps, 112)
    assert crop.shape == (112, 112, 3) and crop.std() > 5
    only_boxes = faces.detect_faces(analysis, photos["astronaut"], with_embedding=False)
    assert only_boxes[0].embedding is None
    np.testing.assert_allclose(only_boxes[0].bbox, face.bbox, atol=1e-3)


def test_face_analysis_missing_pack(store):
    with pytest.raises(ModelMissing, match="antelopev2"):
        faces.load_face_analysis(store)


def test_mean_embedding_and_cosine():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    mean = faces.mean_embedding([a, b])
    assert faces.cosine(mean, [1, 1]) == pytest.approx(1.0)
    assert np.linalg.norm(mean) == pytest.approx(1.0)


def _tiny_unet(hs_store):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel.from_pretrained(
        hs_store.require("realvisxl-v4-lightning") / "unet", variant="fp16", local_files_only=True
    ).float()


def test_loader_reads_published_layout(hs_store):
    folder = hs_store.require("instantid")
    state = instantid.load_ip_adapter_file(folder / instantid.IP_ADAPTER_FILE)
    proj, ip = instantid.split_ip_adapter(state)
    assert "latents" in proj and "layers.0.0.to_kv.weight" in proj and "1.to_k_ip.weight" in ip
    unet = _tiny_unet(hs_store)
    resampler = instantid.resampler_from_state(proj)
    # Loaded values are the file's values, not fresh initialisation.
    torch.testing.assert_close(resampler.latents.data, proj["latents"])
    torch.testing.assert_close(resampler.layers[1][1][3].weight.data, proj["layers.1.1.3.weight"])
    n = instantid.install_identity_processors(unet, ip, scale=0.7)
    cross = [k for k in unet.attn_processors if k.endswith("attn2.processor")]
    assert n == len(cross) == len({k.split(".")[0] for k in ip})
    procs = list(unet.attn_processors.values())
    first = int(next(iter(ip)).split(".")[0])
    torch.testing.assert_close(procs[first].to_k_ip.weight.data, ip[f"{first}.to_k_ip.weight"])
    tokens = instantid.face_tokens(resampler, np.ones(512, np.float32), batch=2, guided=True)
    assert tokens.shape == (4, instantid.NUM_TOKENS, unet.config.cross_attention_dim)
    # Flat "image_proj."/"ip_adapter." prefixes are accepted too.
    flat = {f"image_proj.{k}": v for k, v in proj.items()}
    flat.update({f"ip_adapter.{k}": v for k, v in ip.items()})
    assert instantid.split_ip_adapter(flat)[1].keys() == ip.keys()


def test_face_tokens_change_the_unet_output(hs_store):
    folder = hs_store.require("instantid")
    unet = _tiny_unet(hs_store)
    resampler = instantid.apply_instantid(unet, folder, "cpu", torch.float32, scale=1.0)
    torch.manual_seed(0)
    x = torch.randn(1, 4, 8, 8)
    text = torch.randn(1, 77, unet.config.cross_attention_dim)
    added = {
        "text_embeds": torch.randn(1, 32),
        "time_ids": torch.tensor([[64.0, 64, 0, 0, 64, 64]]),
    }

    def run(emb: np.ndarray, scale: float) -> torch.Tensor:
        instantid.set_identity_scale(unet, scale)
        tok = instantid.face_tokens(resampler, emb, 1, guided=False)
        with torch.no_grad():
            return unet(
                x, 10, encoder_hidden_states=torch.cat([text, tok], 1), added_cond_kwargs=added
            ).sample

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=512).astype(np.float32), rng.normal(size=512).astype(np.float32)
    assert not torch.allclose(run(a, 1.0), run(b, 1.0))
    torch.testing.assert_close(run(a, 0.0), run(b, 0.0))  # scale 0: face tokens ignored


def test_controlnet_loads_and_conditions(hs_store):
    net = instantid.load_controlnet(hs_store.require("instantid"), "cpu", torch.float32)
    assert net.config.cross_attention_dim == 64


def test_wrong_or_damaged_weights(hs_store, tmp_path):
    folder = hs_store.require("instantid")
    proj, ip = instantid.split_ip_adapter(
        instantid.load_ip_adapter_file(folder / instantid.IP_ADAPTER_FILE)
    )
    unet = _tiny_unet(hs_store)
    fewer = {k: v for k, v in ip.items() if not k.startswith("1.")}
    with pytest.raises(BadInput):
        instantid.install_identity_processors(unet, fewer)
    bad = dict(proj)
    bad["proj_in.weight"] = bad["proj_in.weight"][:, :10]
    with pytest.raises(BadInput, match="512"):
        instantid.resampler_from_state(bad)
    bad = dict(proj)
    bad["layers.0.0.to_out.weight"] = bad["layers.0.0.to_out.weight"][:, :8]
    with pytest.raises(BadInput, match="do not fit"):
        instantid.resampler_from_state(bad)
    with pytest.raises(BadInput, match="layout"):
        instantid.split_ip_adapter({"something": torch.zeros(1)})
    broken = tmp_path / "ip-adapter.bin"
    broken.write_bytes(b"garbage" * 10)
    with pytest.raises(BadInput, match="damaged"):
        instantid.load_ip_adapter_file(broken)


def test_keypoint_image():
    kps = np.array([[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]], np.float32)
    img = np.asarray(instantid.draw_keypoints((100, 120), kps))
    assert img.shape == (120, 100, 3)
    assert tuple(img[40, 30]) == instantid.KPS_COLORS[0]
    assert tuple(img[60, 50]) == instantid.KPS_COLORS[2]
    assert img[5, 5].sum() == 0
    placed = instantid.place_keypoints(kps, np.array([20, 30, 80, 90]), (200, 200))
    assert placed[:, 0].mean() == pytest.approx(100, abs=2)
    assert placed[1, 0] - placed[0, 0] == pytest.approx(40 * 0.34 * 200 / 60, rel=1e-4)
