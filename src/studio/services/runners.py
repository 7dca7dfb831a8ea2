"""Which function runs each job kind: the workspaces' ``JOBS`` tables, gathered lazily."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Runner = Callable[[Any, Any], Any]
WORKSPACE_PACKAGES = ("canvas", "headshots", "lipsync", "live")


def default_runners() -> dict[str, Runner]:
    """Every job kind the pipelines register, e.g. ``canvas.remove``."""
    runners: dict[str, Runner] = {}
    for name in WORKSPACE_PACKAGES:
        module = importlib.import_module(f"studio.pipelines.{name}")
        runners.update(getattr(module, "JOBS", {}))
    return runners
