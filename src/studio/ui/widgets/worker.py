"""Short I/O off the GUI thread: decoding thumbnails, writing exports, deleting folders.

GPU work never goes here (it belongs to the service's device thread). A :class:`IoWorkers`
is a small thread pool owned by one widget: ``run(fn, on_done, on_error)`` calls ``fn()`` on
a pool thread and then ``on_done(result)`` or ``on_error(exception)`` on the GUI thread.
The pool is a child of its widget, and Qt waits for its running tasks when it is destroyed,
so no task outlives the widget it reports to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Call(QObject):
    """One task's way back: lives on the GUI thread, so signals emitted on the pool thread
    reach its slots queued, on the GUI thread."""

    returned = Signal(object)
    errored = Signal(object)  # the exception

    def __init__(
        self,
        workers: IoWorkers,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        super().__init__()
        self.workers, self.on_done, self.on_error = workers, on_done, on_error
        self.returned.connect(self._deliver)
        self.errored.connect(self._fail)

    def _owner_alive(self) -> bool:
        import shiboken6

        self.workers._live.discard(self)
        return shiboken6.isValid(self.workers)  # its widget may have closed meanwhile

    @Slot(object)
    def _deliver(self, result: Any) -> None:
        if self._owner_alive():
            self.on_done(result)

    @Slot(object)
    def _fail(self, exc: BaseException) -> None:
        if not self._owner_alive():
            return
        if self.on_error is None:
            log.error("background task failed", exc_info=exc)
        else:
            self.on_error(exc)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], call: _Call) -> None:
        super().__init__()
        self.fn, self.call = fn, call

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, never lost
            self.call.errored.emit(exc)
            return
        self.call.returned.emit(result)


class IoWorkers(QObject):
    """A pool for one widget's short I/O tasks; ``busy`` while any task is unfinished."""

    def __init__(self, parent: QObject, max_threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[_Call] = set()  # keeps each task's way back alive until it is used

    @property
    def busy(self) -> bool:
        return bool(self._live)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Call ``fn()`` on a pool thread; its result or exception comes back on this thread."""
        call = _Call(self, on_done, on_error)
        self._live.add(call)
        self.pool.start(_Task(fn, call))

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every task has run (tests, shutdown); True when all finished."""
        return self.pool.waitForDone(timeout_ms)
