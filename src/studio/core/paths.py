"""Per-user directories (platformdirs), overridable by environment variables.

``STUDIO_HOME`` moves everything (config, data, logs, cache) under one folder;
``STUDIO_MODELS_DIR`` moves only the model store. The Settings' model dir wins over both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs

APP = "Studio"


def _base(kind: str) -> Path:
    home = os.environ.get("STUDIO_HOME")
    if home:
        return Path(home) / kind
    finders: dict[str, Callable[..., str]] = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "logs": platformdirs.user_log_dir,
        "cache": platformdirs.user_cache_dir,
    }
    finder = finders[kind]
    return Path(finder(APP, appauthor=False))


def config_dir() -> Path:
    return _base("config")


def data_dir() -> Path:
    return _base("data")


def log_dir() -> Path:
    return _base("logs")


def cache_dir() -> Path:
    return _base("cache")


def headshot_packs_dir() -> Path:
    """Where headshot packs are saved (the Lipsync avatar picker reads them too)."""
    return data_dir() / "headshots"


def default_models_dir() -> Path:
    env = os.environ.get("STUDIO_MODELS_DIR")
    return Path(env) if env else data_dir() / "models"
