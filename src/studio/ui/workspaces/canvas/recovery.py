"""Autosave of the canvas on a background thread, and the bar that offers to restore it.

Saving encodes three PNGs (image, original, mask): seconds for a large image, so it runs on
one I/O thread, never on the GUI thread. One thread keeps saves and clears in the order they
were asked for: a clear after an export can never be overtaken by an older save.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.core import autosave
from studio.ui.widgets.theme import set_tone
from studio.ui.widgets.worker import IoWorkers
from studio.ui.workspaces.canvas.document import CanvasDocument

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 2000


class RestoreBar(QFrame):
    """ "Unsaved work on X from <time> was recovered. [Restore] [Discard]"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreBar")
        set_tone(self, "warning-note")  # its label inherits the text colour, in either theme
        self.label = QLabel()
        self.restore_button = QPushButton("Restore")
        self.discard_button = QPushButton("Discard")
        bar = QHBoxLayout(self)
        bar.addWidget(self.label, 1)
        bar.addWidget(self.restore_button)
        bar.addWidget(self.discard_button)
        self.setVisible(False)

    def offer(self, snapshot: autosave.Snapshot) -> None:
        stamp = time.strftime("%d %b %H:%M", time.localtime(snapshot.saved_at))
        name = snapshot.source_name or "an image"
        self.label.setText(f"Unsaved work on {name} from {stamp} was recovered.")
        self.setVisible(True)


class Autosaver(QObject):
    """Saves the document about two seconds after each change while it has unsaved edits."""

    saved = Signal()  # a snapshot is complete on disk
    found = Signal(object)  # an autosave.Snapshot left by an earlier session

    def __init__(self, doc: CanvasDocument, parent: QObject) -> None:
        super().__init__(parent)
        self.doc = doc
        self.io = IoWorkers(self, max_threads=1)
        self.timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self.timer.timeout.connect(self.save_now)
        self._saving = False

    def schedule(self) -> None:
        if self.doc.dirty:
            self.timer.start()

    def save_now(self) -> None:
        """Start a save of the current state (arrays are never changed in place, so the
        worker may read them while editing goes on)."""
        doc = self.doc
        if not doc.dirty:
            return
        if self._saving:
            self.timer.start()  # one save at a time; the next one catches up
            return
        snap = autosave.Snapshot(
            doc.image, doc.original, doc.mask, doc.source_name, doc.metadata()["edits"]
        )
        self._saving = True
        self.io.run(lambda: autosave.save(snap), self._saved, self._failed)

    def _saved(self, _folder: Any) -> None:
        self._saving = False
        self.saved.emit()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        # Never disturb editing for a background save; the next change tries again.
        log.warning("autosave failed: %s", exc, exc_info=exc)

    def clear(self) -> None:
        """Forget the snapshot (after an export, a new image, a discard), in order."""
        self.timer.stop()
        self.io.run(autosave.clear, lambda _none: None, self._failed)

    def clear_now(self) -> None:
        """At close: finish what is running, then remove the snapshot before returning."""
        self.timer.stop()
        self.io.wait()
        autosave.clear()

    def look_for_earlier(self) -> None:
        """Load a snapshot left by a crash in the background; ``found`` brings it."""
        if autosave.exists():
            self.io.run(autosave.load, self._loaded, self._failed)

    def _loaded(self, snapshot: autosave.Snapshot | None) -> None:
        if snapshot is not None:
            self.found.emit(snapshot)
