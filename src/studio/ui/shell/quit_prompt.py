"""The close prompt: which jobs quitting would cancel, and the box that asks."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from studio.services.inference import InferenceService
from studio.services.jobs import Job, JobState


def unfinished_jobs(*services: InferenceService) -> tuple[list[Job], list[Job]]:
    """(running jobs, queued jobs) of ``services``, oldest first."""
    jobs = sorted((j for s in services for j in list(s.jobs.values())), key=lambda j: j.seq)
    running = [j for j in jobs if j.state is JobState.RUNNING]
    return running, [j for j in jobs if j.state is JobState.QUEUED]


def quit_box(
    parent: QWidget, running: list[Job], queued: list[Job]
) -> tuple[QMessageBox, QPushButton, QPushButton]:
    """The box (not yet shown), its "Cancel and quit" and its "Keep working" (the default)."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Quit Studio", quit_question(running, queued), parent=parent
    )
    box.setObjectName("quitBox")
    quit_button = box.addButton("Cancel and &quit", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("&Keep working", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    return box, quit_button, keep


def quit_question(running: list[Job], queued: list[Job]) -> str:
    """The close prompt, e.g. "Headshot pack is running: cancel it and quit?"."""
    lines = []
    if running:
        names = _join([j.title for j in running])
        verb, them = ("is", "it") if len(running) == 1 else ("are", "them")
        lines.append(f"{names} {verb} running: cancel {them} and quit?")
    if queued:
        waiting = (
            f"{queued[0].title} is waiting"
            if len(queued) == 1
            else f"{len(queued)} jobs are waiting"
        )
        lines.append(f"{waiting} and will not run." if running else f"{waiting}: cancel and quit?")
    return "\n".join(lines)


def _join(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
