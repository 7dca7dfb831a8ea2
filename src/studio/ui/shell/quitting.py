"""Quitting the main window: ask about running jobs and unsaved work, then stop the service
threads without blocking the event loop."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox

from studio.services.jobs import Job
from studio.ui.shell.quit_prompt import quit_box, unfinished_jobs

log = logging.getLogger(__name__)

IDLE_STOP_WAIT_S = 0.05  # per service, on quitting: long enough for an idle thread to end


class QuitOnClose(QMainWindow):
    """The close sequence of the main window (a base class of it). The window sets
    ``gpu``, ``downloads``, ``workspaces``, ``status``, a ``closed`` signal and calls
    :meth:`_init_quitting` in its constructor."""

    gpu: Any
    downloads: Any
    workspaces: dict[str, Any]
    status: Any

    def _init_quitting(self) -> None:
        self._quit_confirmed = False  # the user said "cancel the jobs and quit"
        self._stopping = False  # services told to stop; the window is hidden, waiting
        self._closed_emitted = False
        self.quit_box: QMessageBox | None = None
        self._stop_poll = QTimer(self, interval=50, timeout=self._finish_quit)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Ask about running jobs and unsaved work, then quit without freezing the window.

        Quitting hides the window at once and tells both services to stop (cancelling their
        jobs). Idle threads end at once and the window closes now; a job still busy until its
        next cancel point is waited for from a timer, so the event loop keeps running. The
        close completes, and :attr:`closed` is emitted, once both threads have ended: a
        running QThread is never destroyed.
        """
        if not self._stopping:
            event.ignore()
            running, queued = unfinished_jobs(self.gpu, self.downloads)
            if (running or queued) and not self._quit_confirmed:
                self._ask_to_quit(running, queued)
                return
            self._quit_confirmed = False
            for page in self.workspaces.values():
                if hasattr(page, "can_close") and not page.can_close():
                    return
            self._begin_quit()
        if not self._services_stopped():
            event.ignore()  # _finish_quit closes again once they have
            return
        self._stop_poll.stop()
        event.accept()
        super().closeEvent(event)
        if not self._closed_emitted:
            self._closed_emitted = True
            self.closed.emit()  # type: ignore[attr-defined]

    def _ask_to_quit(self, running: list[Job], queued: list[Job]) -> None:
        if self.quit_box is not None:
            self.quit_box.raise_()
            return
        box, quit_button, keep = quit_box(self, running, queued)
        self.quit_box, self.quit_button, self.keep_working_button = box, quit_button, keep

        def answered() -> None:
            self.quit_box = None
            if box.clickedButton() is quit_button:
                self._quit_confirmed = True
                self.close()

        box.finished.connect(lambda _result: answered())
        box.open()

    def _begin_quit(self) -> None:
        self._stopping = True
        self.save_state()
        self.status.timer.stop()
        self.hide()
        services = (self.gpu, self.downloads)
        for service in services:
            service.begin_shutdown()  # returns at once; running jobs stop at their next step
        # A moment for idle threads, which end as soon as their queue closes; a busy one
        # is polled from the event loop instead of blocking it.
        for service in services:
            service.shutdown(timeout_s=IDLE_STOP_WAIT_S)
        if not self._services_stopped():
            log.info("waiting for running jobs to reach a cancel point before quitting")
            self._stop_poll.start()

    def _services_stopped(self) -> bool:
        return all(service.is_stopped() for service in (self.gpu, self.downloads))

    def _finish_quit(self) -> None:
        if self._services_stopped():
            self._stop_poll.stop()
            self.close()
