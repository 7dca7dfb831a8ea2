"""Tiny diffusers models built once per session, installed into each test's store by copy."""

from __future__ import annotations

import pytest

from tests.fixtures import diffusion


@pytest.fixture(scope="session")
def tiny_sd_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_sd_turbo")
    diffusion.build_tiny_sd(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_taesd_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_taesd")
    diffusion.build_tiny_taesd(folder)
    return folder


@pytest.fixture
def live_store(store, tiny_sd_dir, tiny_taesd_dir):
    """The test store with tiny sd-turbo and TAESD installed."""
    from tests.fixtures.install import install_copy

    install_copy(store, "sd-turbo", tiny_sd_dir)
    install_copy(store, "taesd", tiny_taesd_dir)
    return store
