"""Closing the window: the prompt names the running jobs; quitting never blocks the window."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer

from studio.core.settings import Settings
from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.services.jobs import Job, JobState
from studio.ui.shell.main_window import MainWindow
from studio.ui.shell.quit_prompt import quit_question
from tests.ui.shell.harness import close_and_wait


def test_close_without_jobs_quits_without_a_prompt(window, qtbot):
    with qtbot.waitSignal(window.closed, timeout=30000):
        window.close()
    assert window.quit_box is None and not window.isVisible()
    assert window.gpu.is_stopped() and window.downloads.is_stopped()


def test_close_prompt_names_the_running_job_and_keep_working_keeps_it(window, qtbot):
    job = window.gpu.submit("t.steps", {"n": 100000, "wait": 0.01}, label="Headshot pack")
    qtbot.waitUntil(lambda: job.state is JobState.RUNNING)
    window.close()
    box = window.quit_box
    assert box is not None and box.isVisible()
    assert box.text() == "Headshot pack is running: cancel it and quit?"
    qtbot.mouseClick(window.keep_working_button, Qt.MouseButton.LeftButton)
    assert window.quit_box is None and window.isVisible()
    assert job.state is JobState.RUNNING and not window.gpu.is_stopped()


def test_quitting_cancels_the_job_and_stops_the_services(window, qtbot):
    job = window.gpu.submit("t.steps", {"n": 100000, "wait": 0.01}, label="Headshot pack")
    qtbot.waitUntil(lambda: job.state is JobState.RUNNING)
    window.close()
    with qtbot.waitSignal(window.closed, timeout=30000):
        qtbot.mouseClick(window.quit_button, Qt.MouseButton.LeftButton)
        assert not window.isVisible()  # hidden at once, before the services have stopped
    assert job.state is JobState.CANCELLED
    assert window.gpu.is_stopped() and window.downloads.is_stopped()


def slow_to_cancel(request, ctx):
    ctx.check()
    request["entered"].set()
    request["release"].wait(30)  # a long read that cannot be interrupted
    ctx.check()


def test_quit_waits_for_a_slow_job_with_the_event_loop_running(qtbot, tmp_path):
    store = ModelStore(tmp_path / "models", load_catalogue())
    gpu = InferenceService(store, device="cpu", runners={"t.slow": slow_to_cancel})
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    win = MainWindow(Settings(welcomed=True), store, gpu, downloads)
    gpu.start()
    downloads.start()
    win.show()
    entered, release = threading.Event(), threading.Event()
    job = gpu.submit("t.slow", {"entered": entered, "release": release}, label="Slow read")
    assert entered.wait(30)
    win.close()
    assert "Slow read is running" in win.quit_box.text()
    qtbot.mouseClick(win.quit_button, Qt.MouseButton.LeftButton)
    # close() returned with the job still inside its uninterruptible read: nothing waited.
    assert not win.isVisible() and not gpu.is_stopped()
    # The event loop runs while the window waits: a timer fires, which then lets the job go.
    ticked = []
    QTimer.singleShot(10, lambda: (ticked.append(True), release.set()))
    with qtbot.waitSignal(win.closed, timeout=30000):
        pass
    assert ticked and job.state is JobState.CANCELLED
    assert gpu.is_stopped() and downloads.is_stopped()
    close_and_wait(qtbot, win)  # already closed: returns at once


def test_quit_question_wording():
    pack, dl = Job("a", None, label="Headshot pack"), Job("b", None, label="Download SAM")
    later = Job("c", None, label="Upscale")
    assert quit_question([pack], []) == "Headshot pack is running: cancel it and quit?"
    assert quit_question([pack, dl], [later]) == (
        "Headshot pack and Download SAM are running: cancel them and quit?\n"
        "Upscale is waiting and will not run."
    )
    assert quit_question([], [later, dl]) == "2 jobs are waiting: cancel and quit?"


def test_quit_box_mnemonics(window, qtbot):
    from tests.ui.mnemonics import assert_unique_mnemonics

    job = window.gpu.submit("t.steps", {"n": 100000, "wait": 0.01}, label="Headshot pack")
    qtbot.waitUntil(lambda: job.state is JobState.RUNNING)
    window.close()
    letters = assert_unique_mnemonics(window.quit_box)
    assert letters == {"q": "Cancel and &quit", "k": "&Keep working"}
