"""The CPU tail: results come back in submission order on the calling thread; errors surface;
closing waits for started work (nothing half written) without reporting it."""

from __future__ import annotations

import threading
import time

import pytest

from studio.pipelines.headshots import overlap


def test_results_are_reported_in_order_on_the_calling_thread():
    seen, threads = [], set()

    def job(i):
        time.sleep(0.02 * (3 - i))  # later jobs finish first
        return i

    def done(i):
        seen.append(i)
        threads.add(threading.get_ident())

    with overlap.Tail(workers=3) as tail:
        for i in range(4):
            tail.submit(job, i, on_done=done)
        tail.finish()
    assert seen == [0, 1, 2, 3]
    assert threads == {threading.get_ident()}


def test_a_failing_job_raises_when_reported():
    with overlap.Tail(workers=2) as tail:
        tail.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            tail.finish()


def test_close_waits_for_submitted_work_without_reporting():
    finished, reported = [], []
    tail = overlap.Tail(workers=1)
    for i in range(3):
        tail.submit(lambda i=i: (time.sleep(0.01), finished.append(i)), on_done=reported.append)
    tail.close()
    assert finished == [0, 1, 2] and reported == []
