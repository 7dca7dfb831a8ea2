"""Import your own model from the Models dialog: pick a ``.safetensors`` file, copy it into
the store on an I/O worker (:func:`studio.models.imports.import_model`) with progress.

A file Studio cannot use (not safetensors, neither a checkpoint nor a LoRA, not SDXL) is
refused with the message of :class:`~studio.models.imports.ImportRefused` in a box; an
unexpected failure is logged and named in a box, never shown as a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from studio.core.errors import StudioError
from studio.models.catalogue import ModelEntry
from studio.models.store import ModelStore
from studio.ui.widgets.worker import IoWorkers

log = logging.getLogger(__name__)

FILE_FILTER = "Models (*.safetensors);;All files (*)"


class ModelImporter(QObject):
    """Runs one import at a time for ``parent`` (the Models dialog).

    Signals: ``progressed(done, total)`` (bytes copied, from the worker, delivered on the GUI
    thread), then ``imported(entry)`` or ``failed(message)``; the failure box is kept as
    ``error_box`` while it is open.
    """

    progressed = Signal(int, int)
    imported = Signal(object)  # the new ModelEntry
    failed = Signal(str)

    def __init__(self, store: ModelStore, parent: QWidget) -> None:
        super().__init__(parent)
        self.store, self.parent_widget = store, parent
        self.workers = IoWorkers(self, max_threads=1)
        self.error_box: QMessageBox | None = None

    @property
    def busy(self) -> bool:
        return self.workers.busy

    def choose(self) -> bool:
        """Ask for a file and import it; False when the user cancelled (or one runs)."""
        if self.busy:
            return False
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget, "Import a checkpoint or LoRA", "", FILE_FILTER
        )
        return bool(path) and self.start(Path(path))

    def start(self, path: Path) -> bool:
        """Import ``path`` on the worker; True when it started."""
        if self.busy:
            return False
        store, report = self.store, self.progressed.emit  # queued to the GUI thread

        def run() -> ModelEntry:
            from studio.models.imports import import_model

            return import_model(store, path, progress=report)

        self.workers.run(run, self.imported.emit, lambda exc: self._failed(exc, path))
        return True

    def _failed(self, exc: BaseException, path: Path) -> None:
        if isinstance(exc, StudioError):
            message = exc.user_message
            if exc.detail:
                log.warning("import of %s refused: %s (%s)", path, message, exc.detail)
        else:
            log.error("importing %s failed", path, exc_info=exc)
            message = f"'{path.name}' could not be imported: {exc}"
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Import a model", message, parent=self.parent_widget
        )
        box.setObjectName("importErrorBox")
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.button(QMessageBox.StandardButton.Ok).setText("&OK")
        box.finished.connect(lambda _result: setattr(self, "error_box", None))
        box.open()
        self.error_box = box
        self.failed.emit(message)


def describe(entry: ModelEntry) -> str:
    """ "Imported My style (SDXL LoRA)." for the dialog's status line."""
    kind = "LoRA" if entry.task == "lora" else entry.task
    architecture = str(entry.extra.get("architecture", ""))
    what = f"{architecture} {kind}".strip()
    return f"Imported {entry.name} ({what})."
