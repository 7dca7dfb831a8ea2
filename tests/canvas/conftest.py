"""Tiny canvas models, built once per session and installed into each test's store."""

from __future__ import annotations

import pytest

from tests.fixtures import canvas_models as cm
from tests.fixtures.install import install_copy


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Lazily built model folders keyed by model id (each built at most once)."""
    root = tmp_path_factory.mktemp("canvas_models")
    builders = {
        "sam-vit-b": lambda f: cm.build_tiny_sam(f, "sam_vit_b_01ec64.pth"),
        "sam-vit-h": lambda f: cm.build_tiny_sam(f, "sam_vit_h_4b8939.pth"),
        "lama-big": cm.build_big_lama,
        "realesrgan-x4plus": cm.build_tiny_rrdbnet,
        "rembg-u2net": cm.build_tiny_u2net_onnx,
    }
    done: dict[str, object] = {}

    def get(model_id: str):
        if model_id not in done:
            folder = root / model_id
            builders[model_id](folder)
            done[model_id] = folder
        return done[model_id]

    return get


@pytest.fixture
def install(store, built):
    """``install(model_id)`` commits a copy of the tiny model into the test's store."""

    def _install(*model_ids: str) -> None:
        for model_id in model_ids:
            install_copy(store, model_id, built(model_id))

    return _install


@pytest.fixture
def photo():
    """A real photo (scikit-image's astronaut), cropped small to keep tests fast."""
    from skimage import data

    return data.astronaut()[100:196, 150:278].copy()  # 96 x 128 RGB
