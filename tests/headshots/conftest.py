"""Tiny headshot models, built once per session and installed into each test's store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.install import install_copy


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Tiny models gain nothing from threads; on a shared 2-core machine they thrash."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def built_models(tmp_path_factory) -> dict[str, Path]:
    from tests.fixtures.canvas_models import build_tiny_rrdbnet
    from tests.fixtures.diffusion import build_tiny_sdxl, build_tiny_taesd
    from tests.fixtures.face_models import build_tiny_antelopev2, build_tiny_instantid

    root = tmp_path_factory.mktemp("headshot_models")
    out = {
        name: root / name
        for name in (
            "realvisxl-v4-lightning",
            "instantid",
            "antelopev2",
            "taesdxl",
            "realesrgan-x4plus",
        )
    }
    build_tiny_sdxl(out["realvisxl-v4-lightning"])
    build_tiny_instantid(out["instantid"], out["realvisxl-v4-lightning"])
    build_tiny_antelopev2(out["antelopev2"])
    build_tiny_taesd(out["taesdxl"], xl=True)
    build_tiny_rrdbnet(out["realesrgan-x4plus"])
    return out


@pytest.fixture
def hs_store(store, built_models):
    """The test store with every headshot model installed (tiny, real layouts)."""
    for model_id, folder in built_models.items():
        install_copy(store, model_id, folder)
    return store


@pytest.fixture
def hs_context(run_context, hs_store):
    return run_context


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """Real face photos available offline (RGB)."""
    import os

    import cv2
    import insightface
    from skimage import data

    folder = Path(os.path.dirname(insightface.__file__)) / "data" / "images"
    return {
        "astronaut": data.astronaut(),
        "group": cv2.imread(str(folder / "t1.jpg"))[:, :, ::-1].copy(),
        "hanks": cv2.imread(str(folder / "Tom_Hanks_54745.png"))[:, :, ::-1].copy(),
        "coffee": data.coffee(),
    }


@pytest.fixture
def selfie_file(tmp_path, photos) -> Path:
    from PIL import Image

    path = tmp_path / "selfie.jpg"
    Image.fromarray(photos["astronaut"]).save(path, quality=95)
    return path
