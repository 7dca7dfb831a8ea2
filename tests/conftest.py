"""Shared fixtures: a temporary model store with the real catalogue, and a running service."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")  # rembg imports numba code: 80 s to compile
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy  # noqa: E402, F401 - loaded once before any window starts its I/O workers, as the app does
import pytest  # noqa: E402

from studio.models.catalogue import load_catalogue  # noqa: E402
from studio.models.store import ModelStore  # noqa: E402


@pytest.fixture(autouse=True)
def _no_log_handler_on_a_closed_stream():
    """Libraries (transformers, diffusers) create their stderr handler on first use: inside a
    test that captures stderr it keeps that test's stream, closed afterwards, and every later
    record prints '--- Logging error ---'. Point such handlers at the current stderr."""
    import logging
    import sys

    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            # Exact type: pytest's own handlers are subclasses. Not setStream(): it flushes
            # the old stream, which may be closed.
            if type(handler) is logging.StreamHandler and handler.stream is not sys.stdout:
                handler.stream = sys.stderr
                # diffusers/transformers also pin `flush` to the stderr of that moment
                handler.__dict__.pop("flush", None)
    yield


@pytest.fixture(autouse=True)
def _studio_home(tmp_path_factory, monkeypatch):
    """Every test gets its own config/data/log dirs; nothing touches the real user's."""
    home = tmp_path_factory.mktemp("studio_home")
    monkeypatch.setenv("STUDIO_HOME", str(home))
    monkeypatch.delenv("STUDIO_MODELS_DIR", raising=False)
    return home


@pytest.fixture(scope="session")
def sdxl_folders(tmp_path_factory):
    """Tiny SDXL inpainting + LCM-LoRA folders, built once for every test that fills."""
    from tests.fixtures.diffusion import build_tiny_lcm_lora_sdxl, build_tiny_sdxl

    root = tmp_path_factory.mktemp("tiny_sdxl")
    build_tiny_sdxl(root / "sdxl-inpaint", inpaint=True)
    build_tiny_lcm_lora_sdxl(root / "lcm-lora-sdxl", root / "sdxl-inpaint")
    return root


@pytest.fixture
def store(tmp_path) -> ModelStore:
    return ModelStore(tmp_path / "models", load_catalogue())


@pytest.fixture
def run_context(store):
    """A CPU :class:`RunContext` over the temporary store, recording progress reports."""
    from studio.pipelines.context import RunContext
    from studio.services.model_cache import ModelCache

    reports: list[tuple[str, int, int]] = []

    def progress(stage, done, total, preview=None):
        reports.append((stage, done, total))

    ctx = RunContext(store=store, cache=ModelCache(), device="cpu", progress=progress)
    ctx.reports = reports  # type: ignore[attr-defined]
    return ctx


@pytest.fixture
def start_cpu_service(qtbot):
    """Start real CPU InferenceServices (default runners: every workspace's JOBS); each is
    shut down at teardown, and must stop in time."""
    started = []

    def start(store, **kwargs):
        from studio.services.inference import InferenceService

        svc = InferenceService(store, device="cpu", **kwargs)
        with qtbot.waitSignal(svc.device_ready, timeout=30000):
            svc.start()
        started.append(svc)
        return svc

    yield start
    for svc in started:
        assert svc.shutdown(30)
