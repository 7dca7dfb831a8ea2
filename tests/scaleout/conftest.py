"""A session cluster: Redis (append-only, so it can restart), two CPU workers for canvas,
headshots and live, a lipsync worker (its own models: a different face detector), and the
gateway. Tiny models in their real layouts, installed through the store's commit step; the
test process runs the same requests locally over the same stores to compare.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from tests.fixtures.install import install_copy
from tests.scaleout.cluster import Cluster, process_env

WORKERS = ("w1", "w2")


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture(scope="session")
def main_store(tmp_path_factory) -> ModelStore:
    """SAM (canvas.segment), sd-turbo + TAESD (live.frame) and the headshot models."""
    from tests.fixtures import canvas_models as cm
    from tests.fixtures import diffusion
    from tests.fixtures.face_models import build_tiny_antelopev2, build_tiny_instantid

    root = tmp_path_factory.mktemp("scaleout_models")
    store = ModelStore(root / "store", load_catalogue())
    built = root / "built"
    diffusion.build_tiny_sdxl(built / "realvisxl-v4-lightning")
    build_tiny_instantid(built / "instantid", built / "realvisxl-v4-lightning")
    builders = {
        "sam-vit-b": lambda f: cm.build_tiny_sam(f, "sam_vit_b_01ec64.pth"),
        "sd-turbo": diffusion.build_tiny_sd,
        "taesd": diffusion.build_tiny_taesd,
        "taesdxl": lambda f: diffusion.build_tiny_taesd(f, xl=True),
        "antelopev2": build_tiny_antelopev2,
        "realesrgan-x4plus": cm.build_tiny_rrdbnet,
    }
    for model_id, build in builders.items():
        build(built / model_id)
    for model_id in [*builders, "realvisxl-v4-lightning", "instantid"]:
        install_copy(store, model_id, built / model_id)
    return store


@pytest.fixture(scope="session")
def lipsync_store(tmp_path_factory) -> ModelStore:
    from tests.fixtures.lipsync_models import build_all

    root = tmp_path_factory.mktemp("scaleout_lipsync_models")
    store = ModelStore(root / "store", load_catalogue())
    for model_id, folder in build_all(root / "built").items():
        install_copy(store, model_id, folder)
    return store


@pytest.fixture(scope="session")
def cluster(tmp_path_factory, main_store):
    """Redis, workers w1 (canvas, headshots, live) and w2 (canvas, headshots), the gateway."""
    root = tmp_path_factory.mktemp("cluster")
    running = Cluster(root, process_env(root / "home"))
    try:
        running.start_redis()
        running.start_worker("w1", "canvas,headshots,live", main_store.root)
        running.start_worker("w2", "canvas,headshots", main_store.root)
        running.start_gateway()
        for name in WORKERS:
            running.wait_worker(name)
        yield running
    finally:
        running.stop()


@pytest.fixture
def workers_up(cluster):
    """Both main workers alive (a test may have killed one)."""
    for name in WORKERS:
        if cluster.workers[name].poll() is not None:
            cluster.restart_worker(name)
    return cluster


@pytest.fixture(scope="session")
def lipsync_worker(cluster, lipsync_store):
    cluster.start_worker("w3", "lipsync", lipsync_store.root)
    cluster.wait_worker("w3")
    return cluster


def recording_context(store):
    from studio.pipelines.context import RunContext
    from studio.services.model_cache import ModelCache

    reports: list[tuple] = []
    ctx = RunContext(
        store=store,
        cache=ModelCache(),
        device="cpu",
        progress=lambda stage, done, total, preview=None: reports.append(
            (stage, done, total, preview)
        ),
    )
    ctx.reports = reports  # type: ignore[attr-defined]
    return ctx


@pytest.fixture
def photo():
    from skimage import data

    return data.astronaut()[100:196, 150:278].copy()


@pytest.fixture(scope="session")
def selfie(tmp_path_factory) -> Path:
    from PIL import Image
    from skimage import data

    path = tmp_path_factory.mktemp("selfie") / "selfie.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=95)
    return path
