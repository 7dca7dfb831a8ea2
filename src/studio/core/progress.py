"""Progress reporting and cancellation that know nothing of Qt.

A pipeline receives a :class:`Progress` callable and a :class:`CancelToken`. It reports
``progress(stage, done, total, preview=None)`` and calls ``cancel.check()`` between steps;
``check`` raises :class:`~studio.core.errors.Cancelled` so no half result escapes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio.core.errors import Cancelled


@dataclass(frozen=True)
class ProgressUpdate:
    """One report: ``done`` of ``total`` units of ``stage``; ``eta_s`` when it can be guessed."""

    stage: str
    done: int
    total: int
    eta_s: float | None = None
    preview: Any = None  # a PIL image, or None

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int, preview: Any = None) -> None: ...


def null_progress(stage: str, done: int, total: int, preview: Any = None) -> None:
    """A progress sink that ignores everything (CLI quiet mode, nested helpers)."""


class CancelToken:
    """Thread-safe flag; ``check`` raises :class:`Cancelled` once it is set.

    ``on_check`` hooks run on every check: the service uses one to run waiting interactive
    jobs between the steps of a long one.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.on_check: list[Callable[[], None]] = []

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()
        for hook in list(self.on_check):
            hook()
        if self._event.is_set():
            raise Cancelled()


@dataclass
class StageTimer:
    """Collects wall time per stage and turns raw reports into :class:`ProgressUpdate`."""

    sink: Callable[[ProgressUpdate], None]
    clock: Callable[[], float] = time.perf_counter
    stage_seconds: dict[str, float] = field(default_factory=dict)
    _stage: str | None = None
    _stage_start: float = 0.0

    def __call__(self, stage: str, done: int, total: int, preview: Any = None) -> None:
        now = self.clock()
        if stage != self._stage:
            self._close(now)
            self._stage, self._stage_start = stage, now
        elapsed = now - self._stage_start
        eta = elapsed / done * (total - done) if done > 0 and total > 0 else None
        self.sink(ProgressUpdate(stage, done, total, eta, preview))

    def finish(self) -> dict[str, float]:
        self._close(self.clock())
        self._stage = None
        return dict(self.stage_seconds)

    def _close(self, now: float) -> None:
        if self._stage is not None:
            self.stage_seconds[self._stage] = (
                self.stage_seconds.get(self._stage, 0.0) + now - self._stage_start
            )
