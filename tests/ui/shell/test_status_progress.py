"""The status bar follows the running job: its title and a compact progress bar."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_status_bar_shows_the_running_job_and_its_progress(window, qtbot):
    status = window.status
    bar, title = status.job_progress, status.job_title
    assert not bar.isVisible() and not title.isVisible()  # nothing runs
    job = window.gpu.submit("t.steps", {"n": 1000, "wait": 0.01}, label="Long job")
    qtbot.waitUntil(lambda: bar.isVisible() and title.text() == "Long job", timeout=10000)
    qtbot.waitUntil(lambda: bar.maximum() == 100 and bar.value() >= 1, timeout=10000)
    assert bar.format().endswith("%") and "/1000" in bar.toolTip()
    assert bar.width() <= 140  # compact: the device and queue figures keep their room
    qtbot.mouseClick(window.jobs_panel.cancel_button(job.id), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not bar.isVisible() and not title.isVisible(), timeout=10000)


def test_status_bar_shows_an_endless_job_as_busy(window, qtbot):
    bar = window.status.job_progress
    job = window.gpu.submit("t.steps", {"n": 1000, "total": 0, "wait": 0.01}, label="Live")
    qtbot.waitUntil(lambda: job.last_progress is not None, timeout=10000)
    qtbot.waitUntil(lambda: bar.isVisible() and bar.maximum() == 0, timeout=10000)  # busy
    qtbot.waitUntil(lambda: " done" in bar.toolTip(), timeout=10000)
    qtbot.mouseClick(window.jobs_panel.cancel_button(job.id), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=10000)
