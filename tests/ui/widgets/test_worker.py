"""Short I/O on a widget's pool: work off the GUI thread, results and errors back on it."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QWidget

from studio.ui.widgets.worker import IoWorkers


def test_result_returns_on_the_gui_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    workers = IoWorkers(owner)
    ran_on, got = [], []

    def work():
        ran_on.append(threading.get_ident())
        return 42

    def done(value):
        got.append((value, QThread.currentThread() is owner.thread()))

    workers.run(work, done)
    assert workers.busy
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == [(42, True)] and ran_on[0] != threading.get_ident()
    assert not workers.busy


def test_an_exception_reaches_on_error(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    workers = IoWorkers(owner)
    errors = []

    def fail():
        raise OSError("disk full")

    workers.run(fail, lambda _v: pytest.fail("no result expected"), errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], OSError) and str(errors[0]) == "disk full"
    assert not workers.busy


def test_nothing_is_delivered_to_a_destroyed_owner(qtbot):
    import shiboken6

    owner = QObject()
    workers = IoWorkers(owner)
    got = []
    workers.run(lambda: "late", got.append)
    assert workers.pool.waitForDone(5000)  # the result is queued, not yet handled
    shiboken6.delete(owner)  # e.g. the dialog closed meanwhile; its pool went with it
    assert not shiboken6.isValid(workers)
    qtbot.wait(50)  # the queued delivery runs now and must be dropped
    assert got == []
