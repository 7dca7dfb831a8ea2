"""Job registration: each workspace declares its job kinds in one ``JOBS`` table.

A workspace package (``studio.pipelines.canvas`` ...) holds, for example::

    JOBS = {
        "canvas.remove": JobSpec("studio.pipelines.canvas.remove:run", low_memory=True),
        "canvas.segment": JobSpec("studio.pipelines.canvas.segment:run"),
    }

``target`` names the runner ``run(request, ctx) -> result`` as ``"module:function"``; the module
is imported only when a job of that kind first runs, so importing a workspace package (the
service does at start-up) stays cheap. ``low_memory`` says the runner honours
``ctx.low_memory``: after running out of memory the executor retries it once in that mode.
``every_update=True``: the GUI must see every progress update (a pack's drafts each add a
preview to a gallery); by default a GUI that falls behind gets only the newest one (a live
stream's frames replace each other).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Runner = Callable[[Any, Any], Any]
WORKSPACES = ("canvas", "headshots", "lipsync", "live")


@dataclass(frozen=True)
class JobSpec:
    """One job kind: its runner (``"module:function"`` or the function itself), whether it
    has a low-memory mode, and whether every progress update must reach the GUI."""

    target: str | Runner
    low_memory: bool = False
    every_update: bool = False

    def resolve(self) -> Runner:
        """The runner function, importing its module on first use."""
        if callable(self.target):
            return self.target
        module_name, sep, attr = self.target.partition(":")
        if not sep or not module_name or not attr:
            raise ValueError(f"a job target is 'module:function', not '{self.target}'")
        module = importlib.import_module(module_name)  # cached by Python after the first job
        runner = getattr(module, attr)
        if not callable(runner):
            raise TypeError(f"job target '{self.target}' is not callable")
        return runner  # type: ignore[no-any-return]

    def __call__(self, request: Any, ctx: Any) -> Any:
        """Run the job directly (tests and scripts): ``JOBS[kind](request, ctx)``."""
        return self.resolve()(request, ctx)


def as_spec(entry: JobSpec | Runner) -> JobSpec:
    """A table entry as a :class:`JobSpec` (a bare function has no low-memory mode)."""
    return entry if isinstance(entry, JobSpec) else JobSpec(entry)


def workspace_jobs() -> dict[str, JobSpec]:
    """Every job kind the workspaces declare, e.g. ``canvas.remove``, from their tables."""
    jobs: dict[str, JobSpec] = {}
    for name in WORKSPACES:
        module = importlib.import_module(f"studio.pipelines.{name}")
        table: Mapping[str, JobSpec] = getattr(module, "JOBS", {})
        for kind, spec in table.items():
            if kind in jobs:
                raise ValueError(f"job kind '{kind}' is declared twice")
            jobs[kind] = as_spec(spec)
    return jobs
