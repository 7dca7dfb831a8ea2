"""Step 4 of the Headshots wizard: the images selected in the review, written as JPEG (q95) or
WebP with their metadata embedded and a JSON sidecar each, into a folder the user types or
chooses (the review page's Export button and File > Export use the same folder and format).
Files are numbered like the app: portrait #1 is ``headshot_001``. They are written on an I/O
worker, never on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from studio.core.errors import StudioError
from studio.ui.widgets.icons import set_icon
from studio.ui.widgets.worker import IoWorkers
from studio.ui.workspaces.headshots.dialogs import choose_folder
from studio.ui.workspaces.headshots.gallery import number
from studio.ui.workspaces.headshots.recording import record_export, record_quietly
from studio.ui.workspaces.headshots.style_step import licence_note

log = logging.getLogger(__name__)

# What to export: the pack shown in the review (None before one is) and its selected indices.
if TYPE_CHECKING:  # the packs module loads numpy: imported where an export runs
    from studio.pipelines.headshots.packs import Pack

    Source = Callable[[], tuple[Pack | None, list[int]]]


def _buddy(text: str, field: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(field)
    return label


def portraits(count: int) -> str:
    """ "1 portrait", "10 portraits"."""
    return f"{count} portrait{'' if count == 1 else 's'}"


class ExportStep(QWidget):
    """Format, folder and the Export button; ``exported`` reports the files written."""

    exported = Signal(list)  # the files an export wrote (empty when it failed)
    said = Signal(str)  # each status message, for the review page's note

    def __init__(
        self, source: Source, catalogue: Any, parent: QWidget | None = None, store: Any = None
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.store = store  # model hashes for the gallery entry of each export
        self.workers = IoWorkers(self)
        self.format = QComboBox()
        self.format.addItem("JPEG (quality 95)", "jpeg")
        self.format.addItem("WebP", "webp")
        self.folder = QLineEdit(placeholderText="a folder for the exported images")
        self.choose_button = QPushButton("&Choose…")
        self.choose_button.clicked.connect(lambda: self._choose(then_export=False))
        # a lambda: clicked(bool) must never reach a method's parameters
        self.export_button = QPushButton("Export &selected")
        set_icon(self.export_button, "mdi6.export")
        self.exporting = False
        self.export_button.clicked.connect(lambda: self.export())
        self.selection = QLabel("")
        self.status = QLabel("")  # what the last export did
        self.status.setWordWrap(True)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addWidget(self.choose_button)
        format_row = QHBoxLayout()
        format_row.addWidget(self.format)
        format_row.addStretch()
        button_row = QHBoxLayout()
        button_row.addWidget(self.export_button)
        button_row.addStretch()
        form = QFormLayout(self)
        # Alt letters unique in the window (none of the menus': F, E, V, T, H)
        form.addRow(_buddy("Form&at", self.format), format_row)
        form.addRow(_buddy("Fo&lder", self.folder), folder_row)
        form.addRow("", self.selection)
        form.addRow("", button_row)
        form.addRow("", self.status)
        form.addRow(licence_note(catalogue))
        self.update_selection()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.said.emit(text)

    def update_selection(self) -> None:
        """Say what Export would write (the workspace calls this when the selection changes)."""
        pack, indices = self.source()
        if pack is None:
            self.selection.setText("No pack yet: generate one or open a past pack.")
        elif not indices:
            self.selection.setText("Nothing selected: select portraits in the review (step 3).")
        else:
            chosen = " ".join(number(i) for i in sorted(indices)[:12])
            more = " …" if len(indices) > 12 else ""
            self.selection.setText(f"{portraits(len(indices))} selected: {chosen}{more}")

    def choose_and_export(self) -> None:
        """Ask for a folder (starting at the current one), then export there."""
        self._choose(then_export=True)

    def _choose(self, then_export: bool) -> None:
        start = self.folder.text().strip()

        def chosen(folder: Path) -> None:
            self.folder.setText(str(folder))
            if then_export:
                self.export()

        choose_folder(self, "Export to", start, chosen)

    def export(self) -> bool:
        """Export the selected images on an I/O worker; True when it started. An empty folder
        field asks for a folder first (the export starts once one is chosen)."""
        pack, indices = self.source()
        if pack is None:
            self._say("Generate or open a pack first.")
            return False
        if not indices:
            self._say("Select images in the review (step 3) first.")
            return False
        text = self.folder.text().strip()
        if not text:
            self._choose(then_export=True)
            return False
        target = Path(text).expanduser()
        if not target.is_absolute():
            self._say("Type a full folder path, or choose a folder.")
            return False
        fmt = self.format.currentData()
        self.exporting = True
        self.export_button.setEnabled(False)
        self._say(f"Exporting {portraits(len(indices))}…")
        store = self.store

        def write() -> list[Path]:
            from studio.pipelines.headshots.packs import export_images

            written = export_images(pack, indices, target, fmt)
            if written:  # in the gallery before the export is reported done
                record_quietly(
                    f"the export to {target}",
                    lambda: record_export(pack, indices, written, store),
                )
            return written

        self.workers.run(
            write,
            lambda written: self._done(written, target),
            self._failed,
        )
        return True

    def _done(self, written: list[Path], folder: Path) -> None:
        self.exporting = False
        self.export_button.setEnabled(True)
        self._say(f"Exported {portraits(len(written))} to {folder}.")
        self.exported.emit(written)

    def _failed(self, exc: BaseException) -> None:
        self.exporting = False
        self.export_button.setEnabled(True)
        if isinstance(exc, StudioError):
            self._say(exc.user_message)
        else:
            log.error("export failed", exc_info=exc)
            self._say(f"The export failed: {exc}")
        self.exported.emit([])
