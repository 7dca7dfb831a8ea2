"""Lipsync fixtures: tiny models built once per session, installed per test; test speech."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.install import install_copy
from tests.fixtures.lipsync_models import avatar_image, build_all, espeak_wav

ALL = ["musetalk-v15", "sd-vae-ft-mse", "whisper-tiny", "face-parse-bisenet", "antelopev2"]


@pytest.fixture(scope="session")
def built_models(tmp_path_factory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("lipsync_models"))


@pytest.fixture
def lipsync_ctx(run_context, built_models):
    """A CPU RunContext whose store has every lipsync model installed."""
    for model_id in ALL:
        install_copy(run_context.store, model_id, built_models[model_id])
    return run_context


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory) -> Path:
    path = espeak_wav(tmp_path_factory.mktemp("speech") / "speech.wav")
    if path is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    return path


@pytest.fixture(scope="session")
def avatar_files(tmp_path_factory) -> dict[int, Path]:
    from PIL import Image

    folder = tmp_path_factory.mktemp("avatars")
    out = {}
    for faces in (0, 1, 2):
        out[faces] = folder / f"avatar{faces}.png"
        Image.fromarray(avatar_image(faces)).save(out[faces])
    return out


@pytest.fixture(scope="session")
def short_speech_wav(tmp_path_factory) -> Path:
    path = espeak_wav(tmp_path_factory.mktemp("speech") / "short.wav", "Hello there.")
    if path is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    return path
