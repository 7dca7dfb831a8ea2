"""A real ``studio serve`` on 127.0.0.1 (uvicorn in a thread) over a store of tiny models.

The models are built once per module in their real layouts and installed through the store's
commit step; local runs in the tests use the same store, so a remote and a local run of the
same request with the same seed must agree.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from tests.fixtures.install import install_copy

from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture(scope="session")
def model_store(tmp_path_factory) -> ModelStore:
    """Tiny canvas (SAM, LaMa, SDXL inpaint), live (sd-turbo, TAESD) and lipsync models,
    installed once for the module."""
    from tests.fixtures import canvas_models as cm
    from tests.fixtures import diffusion
    from tests.fixtures.lipsync_models import build_all

    root = tmp_path_factory.mktemp("server_models")
    store = ModelStore(root / "store", load_catalogue())
    built = root / "built"
    folders = {
        "sam-vit-b": lambda f: cm.build_tiny_sam(f, "sam_vit_b_01ec64.pth"),
        "lama-big": cm.build_big_lama,
        "sd-turbo": diffusion.build_tiny_sd,
        "taesd": diffusion.build_tiny_taesd,
        "sdxl-inpaint": lambda f: diffusion.build_tiny_sdxl(f, inpaint=True),
    }
    for model_id, build in folders.items():
        build(built / model_id)
        install_copy(store, model_id, built / model_id)
    for model_id, folder in build_all(built / "lipsync").items():
        install_copy(store, model_id, folder)
    return store


@pytest.fixture(scope="session")
def headshots_store(tmp_path_factory) -> ModelStore:
    """The headshot models (their antelopev2 differs from lipsync's disc detector)."""
    from tests.fixtures.canvas_models import build_tiny_rrdbnet
    from tests.fixtures.diffusion import build_tiny_sdxl, build_tiny_taesd
    from tests.fixtures.face_models import build_tiny_antelopev2, build_tiny_instantid

    root = tmp_path_factory.mktemp("headshot_models")
    store = ModelStore(root / "store", load_catalogue())
    built = root / "built"
    build_tiny_sdxl(built / "realvisxl-v4-lightning")
    build_tiny_instantid(built / "instantid", built / "realvisxl-v4-lightning")
    build_tiny_antelopev2(built / "antelopev2")
    build_tiny_taesd(built / "taesdxl", xl=True)
    build_tiny_rrdbnet(built / "realesrgan-x4plus")
    for model_id in ("realvisxl-v4-lightning", "instantid", "antelopev2", "taesdxl"):
        install_copy(store, model_id, built / model_id)
    install_copy(store, "realesrgan-x4plus", built / "realesrgan-x4plus")
    return store


class RunningServer:
    def __init__(self, url: str, state, thread: threading.Thread, server) -> None:
        self.url, self.state, self.thread, self.server = url, state, thread, server

    def client(self, token: str | None = None):
        from studio.remote.client import StudioClient

        return StudioClient(self.url, token or self.state.config.token)


def start_server(config, store) -> RunningServer:
    """uvicorn.Server in a thread; returns once ``/health`` answers."""
    import httpx
    import uvicorn

    from studio.server.app import create_app
    from studio.server.state import build_state

    state = build_state(config, store)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(state),
            host="127.0.0.1",
            port=config.port,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{config.port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return RunningServer(url, state, thread, server)
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def stop_server(running: RunningServer) -> None:
    running.server.should_exit = True
    running.thread.join(30)
    assert not running.thread.is_alive(), "the server thread did not stop"
    assert not running.state.worker._thread.is_alive(), "the GPU thread did not stop"


@pytest.fixture(scope="session")
def server(model_store, tmp_path_factory):
    """A CPU server on a free port of 127.0.0.1 (no token: a local bind needs none)."""
    from studio.server.state import ServerConfig

    work = tmp_path_factory.mktemp("server_work")
    config = ServerConfig(port=free_port(), work_dir=work, device="cpu", max_upload_bytes=2**24)
    running = start_server(config, model_store)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def headshots_server(headshots_store, tmp_path_factory):
    from studio.server.state import ServerConfig

    work = tmp_path_factory.mktemp("headshots_work")
    running = start_server(
        ServerConfig(port=free_port(), work_dir=work, device="cpu"), headshots_store
    )
    yield running
    stop_server(running)


def recording_context(store):
    """A local CPU context over ``store`` that records progress (with previews)."""
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
def local_ctx(model_store):
    return recording_context(model_store)


@pytest.fixture
def photo():
    from skimage import data

    return data.astronaut()[100:196, 150:278].copy()  # 96 x 128 RGB


@pytest.fixture(scope="session")
def speech(tmp_path_factory) -> Path:
    from tests.fixtures.lipsync_models import espeak_wav

    path = espeak_wav(tmp_path_factory.mktemp("speech") / "hello.wav", "Hello there.")
    if path is None:
        pytest.skip("espeak-ng is not installed")
    return path


@pytest.fixture(scope="session")
def avatar_file(tmp_path_factory) -> Path:
    from PIL import Image
    from tests.fixtures.lipsync_models import avatar_image

    path = tmp_path_factory.mktemp("avatar") / "face.png"
    Image.fromarray(avatar_image(1)).save(path)
    return path
