"""Run pipelines without the GUI (the CLI, benchmarks): same store, cache and device rules."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from studio.core.device import resolve_device
from studio.core.progress import CancelToken
from studio.core.settings import Settings
from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from studio.pipelines.context import RunContext
from studio.services.execute import bind_device, execute
from studio.services.model_cache import ModelCache


def console_progress(stage: str, done: int, total: int, preview: Any = None) -> None:
    """One updating line on stderr per stage."""
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\r{stage}: {done}/{total}   {end}")
    sys.stderr.flush()


def default_store(settings: Settings | None = None) -> ModelStore:
    from studio.models.imports import catalogue_with_imports

    settings = settings or Settings.load()
    root = settings.resolved_models_dir()
    return ModelStore(root, catalogue_with_imports(load_catalogue(), root))


def headless_context(settings: Settings | None = None, *, quiet: bool = False) -> RunContext:
    """A :class:`RunContext` for one CLI command, with a console progress line."""
    settings = settings or Settings.load()
    info = resolve_device(settings.device)
    if info.warning and not quiet:
        print(f"warning: {info.warning}", file=sys.stderr)
    bind_device(info.device)
    return RunContext(
        store=default_store(settings),
        cache=ModelCache(),
        device=info.device,
        progress=(lambda *a, **k: None) if quiet else console_progress,
        cancel=CancelToken(),
    )


def run_job(
    kind: str,
    request: Any,
    settings: Settings | None = None,
    *,
    quiet: bool = False,
    cancel: CancelToken | None = None,
    jobs: Mapping[str, Any] | None = None,
) -> Any:
    """Run one job of ``kind`` for a CLI command through the executor the GUI uses (pinned
    models, stage timing, one out-of-memory retry in low-memory mode); returns its result."""
    settings = settings or Settings.load()
    info = resolve_device(settings.device)
    if info.warning and not quiet:
        print(f"warning: {info.warning}", file=sys.stderr)
    bind_device(info.device)
    return execute(
        kind,
        request,
        store=default_store(settings),
        cache=ModelCache(),
        device=info.device,
        progress=None if quiet else (lambda u: console_progress(u.stage, u.done, u.total)),
        cancel=cancel,
        jobs=jobs,
    )
