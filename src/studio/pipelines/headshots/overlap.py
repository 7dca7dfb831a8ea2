"""CPU work of the pack (scoring, sharpening, JPEG writes) overlapped with the GPU's next batch.

Each generated image has a CPU tail (dlib scoring, SSIM duplicate check, unsharp mask, JPEG
encoding) that costs about as much as the GPU work per image. :class:`Tail` runs those tails on
worker threads (dlib, OpenCV and Pillow release the GIL) while the calling thread keeps the GPU
busy, and hands the results back *in submission order* on the calling thread, so progress
reports, previews and cancel behave exactly as in a serial loop.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Tail:
    """Ordered background work: ``submit`` jobs, ``report`` the finished prefix, ``finish``.

    With ``workers=1`` the jobs also run one after another in order, so a job may depend on
    the results of the jobs before it (the duplicate check compares with earlier drafts).
    """

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix="headshots-tail"
        )
        self._pending: deque[tuple[Future[Any], Callable[[Any], None] | None]] = deque()
        self.lock = threading.Lock()  # for jobs that share state (the pack manifest)

    def submit(
        self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None
    ) -> None:
        self._pending.append((self._pool.submit(fn, *args), on_done))

    def report(self, wait: bool = False) -> None:
        """Call ``on_done`` (here, on this thread) for every finished job at the head of the
        queue; with ``wait``, for all of them. A job's exception is raised here."""
        while self._pending and (wait or self._pending[0][0].done()):
            future, on_done = self._pending.popleft()
            result = future.result()
            if on_done is not None:
                on_done(result)

    def finish(self) -> None:
        self.report(wait=True)

    def close(self) -> None:
        """Let started and queued jobs complete (a finished image is kept whole, never half
        written), without reporting them; used when the run stops with an error or a cancel."""
        self._pool.shutdown(wait=True)
        self._pending.clear()

    def __enter__(self) -> Tail:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def default_workers() -> int:
    """Refine tails are independent: a few threads keep up with the GPU on any desktop CPU."""
    import os

    return max(1, min(3, (os.cpu_count() or 2) - 1))
