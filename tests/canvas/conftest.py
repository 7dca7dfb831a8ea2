"""Tiny canvas models, built once per session and installed into each test's store; a real
CanvasWorkspace over a real CPU InferenceService for the workspace tests."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from studio.models.verify import hash_tree
from tests.fixtures import canvas_models as cm
from tests.fixtures.install import install_copy


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """One intra-op thread: on a shared 2-core box, torch's thread pool oversubscribed by
    other processes makes LaMa's convolutions three times slower, not faster."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


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
    done: dict[str, tuple] = {}

    def get(model_id: str):
        if model_id not in done:
            folder = root / model_id
            builders[model_id](folder)
            done[model_id] = (folder, hash_tree(folder))
        return done[model_id]

    return get


@pytest.fixture
def install(store, built):
    """``install(model_id)`` commits the tiny model into the test's store with the same
    commit step a download uses (hard links instead of copies: LaMa is 200 MB)."""

    def _install(*model_ids: str) -> None:
        for model_id in model_ids:
            folder, hashes = built(model_id)
            staged = store.staging_dir(model_id)
            shutil.rmtree(staged)
            shutil.copytree(folder, staged, copy_function=os.link)
            store.commit(model_id, staged, hashes)

    return _install


@pytest.fixture
def photo():
    """A real photo (scikit-image's astronaut), cropped small to keep tests fast."""
    from skimage import data

    return data.astronaut()[100:196, 150:278].copy()  # 96 x 128 RGB


@pytest.fixture
def sdxl(store, sdxl_folders):
    for model_id in ("sdxl-inpaint", "lcm-lora-sdxl"):
        install_copy(store, model_id, sdxl_folders / model_id)


@pytest.fixture
def service(start_cpu_service, store):
    return start_cpu_service(store)  # the default runners: the real canvas JOBS


@pytest.fixture
def workspace(qtbot, service, store):
    from studio.ui.workspaces.canvas.workspace import CanvasWorkspace

    ws = CanvasWorkspace(service, store)
    qtbot.addWidget(ws)
    ws.resize(1200, 800)
    ws.show()
    qtbot.waitExposed(ws)
    yield ws
    ws.doc.stack.setClean()  # no question box at teardown


@pytest.fixture
def photo_file(tmp_path, photo):
    from PIL import Image

    path = tmp_path / "astronaut.png"
    Image.fromarray(photo).save(path)
    return path


def open_file(qtbot, ws, path, timeout=15000):
    """``ws.open_path(path)`` and wait until the background decode shows the new image."""
    with qtbot.waitSignal(ws.image_opened, timeout=timeout):
        assert ws.open_path(path)


def square_mask(shape, y0=30, y1=60, x0=40, x1=80):
    mask = np.zeros(shape[:2], np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


def bar_button(ws, action_name):
    """The tool bar's button for ``ws.toolbar.<action_name>`` (e.g. "fit_action")."""
    return ws.toolbar.widgetForAction(getattr(ws.toolbar, action_name))
