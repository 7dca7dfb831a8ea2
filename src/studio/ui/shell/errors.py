"""One path for showing errors: a message a user understands, details and the log's path."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from studio.core.logs import log_file

log = logging.getLogger(__name__)


def show_error(
    parent: QWidget | None, message: str, detail: str = "", *, logged: bool = False
) -> QMessageBox:
    """A non-blocking error box; the detail (traceback) sits behind "Show Details".

    The box points to the log only when the log holds something about this error: a detail
    not yet logged (``logged=False``) is written there first; a plain message for bad input
    (no detail, nothing logged) gets no pointer to a log that says nothing about it.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, "Studio", message, parent=parent)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText("&OK")
    if detail and not logged:
        log.warning("%s\n%s", message, detail)
        logged = True
    if logged:
        box.setInformativeText(f"Details are in the log: {log_file()}")
    if detail:
        box.setDetailedText(detail)
    box.setObjectName("errorBox")
    box.open()
    return box


def install_excepthook(parent_getter) -> None:  # type: ignore[no-untyped-def]
    """Show unexpected exceptions in a dialog (and log them) instead of killing the app."""
    open_boxes: list[QMessageBox] = []  # parentless boxes need a Python owner to stay alive

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        detail = "".join(traceback.format_exception(kind, exc, tb))
        log.error("unexpected error:\n%s", detail)
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        box = show_error(parent_getter(), f"Something went wrong: {exc}", detail, logged=True)
        open_boxes.append(box)
        box.finished.connect(lambda _result: open_boxes.remove(box))

    sys.excepthook = hook
