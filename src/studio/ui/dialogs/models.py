"""The Models dialog: every catalogue model, installed or not, with download and delete,
and your own models (a checkpoint or LoRA file) imported into the store.

Downloads are jobs on the downloads service; a delete (after the user confirms it) and an
import run on I/O workers, with the buttons disabled until they are done.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import format_size
from studio.models.catalogue import ModelEntry
from studio.models.download import DownloadRequest
from studio.models.imports import LICENCE as IMPORTED_LICENCE
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.services.jobs import Job, Priority
from studio.ui.dialogs.licences import workspace_licences
from studio.ui.dialogs.model_import import ModelImporter, describe
from studio.ui.widgets.theme import tone_colour
from studio.ui.widgets.worker import IoWorkers

log = logging.getLogger(__name__)

COLUMNS = ["Model", "Task", "Download", "On disk", "Licence", "Status"]
SIZE_COL, DISK_COL, LICENCE_COL, STATUS_COL = 2, 3, 4, 5


class ModelsDialog(QDialog):
    def __init__(
        self, store: ModelStore, downloads: InferenceService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(1000, 560)
        self.store, self.downloads = store, downloads
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("modelsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().resizeSection(LICENCE_COL, 260)  # in full below
        self.table.setWordWrap(True)
        self.table.itemSelectionChanged.connect(self._show_details)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.details = QLabel("Select a model to read its licence and where it comes from.")
        self.details.setObjectName("modelDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setOpenExternalLinks(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setMinimumHeight(90)
        self.disk_sizes: dict[str, int] = {}  # model id -> bytes of its files, measured
        self._measure = IoWorkers(self, max_threads=1)
        self.table.verticalHeader().hide()
        self.download_button = QPushButton("&Download")
        self.delete_button = QPushButton("De&lete")
        self.import_button = QPushButton("&Import…")
        self.import_button.setObjectName("importModelButton")
        self.import_button.setToolTip(
            "Add your own SDXL checkpoint or LoRA (a .safetensors file) to the store"
        )
        self.importer = ModelImporter(store, self)
        self.importer.progressed.connect(self._import_progress)
        self.importer.imported.connect(self._imported)
        self.importer.failed.connect(self._import_failed)
        # lambdas: clicked(bool) must not land in a parameter
        self.download_button.clicked.connect(lambda: self.download_selected())
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.import_button.clicked.connect(lambda: self.import_file())
        self.status = QLabel("")
        self._busy = False  # importing or deleting: Download and Delete wait
        self.workers = IoWorkers(self)
        self.confirm_box: QMessageBox | None = None
        note = QLabel(
            f"Models are stored in {store.root}. Rows marked non-commercial may not be used "
            "for commercial work, and neither may a workspace that needs one:"
        )
        note.setWordWrap(True)
        self.workspace_licences = workspace_licences(store.catalogue)
        error = tone_colour("error").name()  # readable in the theme shown now
        self.licence_summary = QLabel(
            "<br>".join(
                f"&bull; {html.escape(w.summary())}"
                if w.commercial_use
                else f"&bull; <span style='color:{error}'>{html.escape(w.summary())}</span>"
                for w in self.workspace_licences
            )
        )
        self.licence_summary.setObjectName("workspaceLicences")
        self.licence_summary.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("&Close")
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.licence_summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self._pending: dict[str, str] = {}  # job id -> model id
        downloads.job_progress.connect(self._on_progress)
        # Bound methods, not lambdas: Qt drops them when the dialog is deleted.
        downloads.job_finished.connect(self._on_finished)
        downloads.job_failed.connect(self._on_failed)
        downloads.job_cancelled.connect(self._on_done)
        self.refresh()

    def refresh(self) -> None:
        entries = list(self.store.catalogue)
        self.table.setRowCount(len(entries))
        busy = set(self._pending.values())
        for row, e in enumerate(entries):
            own = e.licence == IMPORTED_LICENCE  # its licence is the one of its source
            licence = e.licence + ("" if e.commercial_use or own else "  (non-commercial)")
            installed = self.store.is_installed(e.id)
            status = (
                "downloading…" if e.id in busy else "installed" if installed else "not installed"
            )
            disk = self._disk_text(e.id) if installed else "—"
            for col, text in enumerate(
                [e.name, e.task, "—" if own else format_size(e.size_bytes), disk, licence, status]
            ):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, e.id)
                item.setToolTip(text)
                if col == LICENCE_COL:
                    item.setToolTip(f"{licence}\n{e.licence_note}".strip())
                    if not e.commercial_use and not own:
                        item.setForeground(tone_colour("error"))
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        self._measure_disk([e.id for e in entries if self.store.is_installed(e.id)])
        self._show_details()
        self._update_buttons()

    def _update_buttons(self) -> None:
        """Download and Delete act on the selected rows: each is enabled only where it would
        do something (a click that silently did nothing looked broken), its tooltip says why."""
        if self._busy:
            return
        ids = [i for i in self.selected_ids() if i in self.store.catalogue]
        installed = [i for i in ids if self.store.is_installed(i)]
        busy = set(self._pending.values())
        missing = [i for i in ids if i not in installed and i not in busy]
        self.download_button.setEnabled(bool(missing))
        self.download_button.setToolTip(
            "Download the selected models"
            if missing
            else "Select a model that is not installed"
            if not ids or installed
            else "The selected models are downloading"
        )
        self.delete_button.setEnabled(bool(installed))
        self.delete_button.setToolTip(
            "Delete the selected models from this computer"
            if installed
            else "Select an installed model"
        )

    def _disk_text(self, model_id: str) -> str:
        size = self.disk_sizes.get(model_id)
        return "measuring…" if size is None else format_size(size)

    def _measure_disk(self, ids: list[str]) -> None:
        """Sum the installed models' files on an I/O thread (big folders take a while)."""
        store = self.store
        self._measure.run(
            lambda: {i: store.disk_usage(i) for i in ids}, self._measured, self._not_measured
        )

    def _measured(self, sizes: dict[str, int]) -> None:
        self.disk_sizes.update(sizes)
        for row in range(self.table.rowCount()):
            item = self.table.item(row, DISK_COL)
            model_id = item.data(Qt.ItemDataRole.UserRole)
            # A model deleted (an imported one: gone from the catalogue) while it was measured
            # is skipped: its row is on its way out.
            known = model_id in sizes and model_id in self.store.catalogue
            if known and self.store.is_installed(model_id):
                item.setText(format_size(sizes[model_id]))
                item.setToolTip(f"{sizes[model_id]:,} bytes in {self.store.model_dir(model_id)}")
        self._show_details()

    def _not_measured(self, exc: BaseException) -> None:
        log.warning("could not measure the model folders: %s", exc)

    def _show_details(self) -> None:
        """The selected model in full: licence and its note, source, both sizes."""
        ids = self.selected_ids()
        if len(ids) != 1 or ids[0] not in self.store.catalogue:
            return  # none, several, or one deleted meanwhile (its row is on its way out)
        e = self.store.catalogue.get(ids[0])
        esc = html.escape
        error = tone_colour("error").name()
        if e.licence == IMPORTED_LICENCE:
            use = "Check the licence where the file came from."
        elif e.commercial_use:
            use = "Commercial use allowed."
        else:
            use = f"<span style='color:{error}'>Not for commercial use.</span>"
        lines = [
            f"<b>{esc(e.name)}</b> · {esc(e.task)}",
            f"Licence: {esc(e.licence)}. {use} {esc(e.licence_note)}",
            f"Imported from {esc(str(e.extra.get('original_name', '')))}"
            f" ({esc(str(e.extra.get('architecture', '')))}"
            f" {'LoRA' if e.task == 'lora' else esc(e.task)})"
            if e.licence == IMPORTED_LICENCE
            else f"Download size: {format_size(e.size_bytes)}",
        ]
        if self.store.is_installed(e.id):
            lines[-1] += (
                f" · on disk: {self._disk_text(e.id)} in {esc(str(self.store.model_dir(e.id)))}"
            )
        source = e.homepage or (f"https://{e.source_label}" if e.hub else e.source_label)
        if source:
            lines.append(f"Source: <a href='{esc(source)}'>{esc(source)}</a>")
        self.details.setText("<br>".join(lines))

    # ---- your own models ----------------------------------------------------------------------
    def import_file(self) -> bool:
        """Ask for a ``.safetensors`` file and import it in the background; False when the
        user cancelled or an import or delete is running."""
        if self.workers.busy or self.importer.busy:
            return False
        return self.importer.choose() and self._importing()

    def _importing(self) -> bool:
        self._set_busy(True, "Importing…")
        return True

    def _import_progress(self, done: int, total: int) -> None:
        share = f" ({done / total:.0%})" if total else ""
        self.status.setText(f"Importing… {format_size(done)} of {format_size(total)}{share}")

    def _imported(self, entry: object) -> None:
        assert isinstance(entry, ModelEntry)
        self._set_busy(False, describe(entry))
        self.refresh()
        self.select(entry.id)

    def _import_failed(self, message: str) -> None:
        self._set_busy(False, message)

    def select(self, model_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == model_id:
                self.table.selectRow(row)
                return

    def selected_ids(self) -> list[str]:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in sorted(rows)]

    def download_selected(self) -> list[Job]:
        jobs = []
        for model_id in self.selected_ids():
            active = {
                getattr(j.request, "model_id", None)
                for j in self.downloads.jobs.values()
                if not j.state.done
            }
            if self.store.is_installed(model_id) or model_id in active:
                continue
            entry = self.store.catalogue.get(model_id)
            job = self.downloads.submit(
                "models.download",
                DownloadRequest(model_id),
                Priority.NORMAL,
                f"Download {entry.name} ({format_size(entry.size_bytes)})",
            )
            self._pending[job.id] = model_id
            jobs.append(job)
        self.refresh()
        return jobs

    def delete_selected(self) -> QMessageBox | None:
        """Ask before deleting the selected installed models; the box (also kept as
        ``confirm_box`` while open) deletes them on a worker when the user says yes."""
        ids = [i for i in self.selected_ids() if self.store.is_installed(i)]
        if not ids or self.workers.busy:
            return None
        entries = [self.store.catalogue.get(i) for i in ids]
        listing = "\n".join(f"{e.name} ({format_size(e.size_bytes)})" for e in entries)
        again = (
            "Imported models leave Studio's store; the files you imported them from stay."
            if any(e.licence == IMPORTED_LICENCE for e in entries)
            else "They can be downloaded again later."
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete models",
            f"Delete {len(ids)} model(s) from this computer?\n\n{listing}\n\n{again}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("deleteModelsBox")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.accepted.connect(lambda: self._delete(ids))
        box.finished.connect(lambda _result: setattr(self, "confirm_box", None))
        box.open()
        self.confirm_box = box
        return box

    def _delete(self, ids: list[str]) -> None:
        store = self.store

        def delete_all() -> list[str]:
            from studio.models.imports import imported_entries, remove_imported

            own = {e.id for e in imported_entries(store.root)}
            for model_id in ids:
                if model_id in own:
                    remove_imported(store, model_id)  # its files and its entry
                else:
                    store.delete(model_id)
                log.info("deleted model %s from %s", model_id, store.root)
            return ids

        self._set_busy(True, f"Deleting {', '.join(ids)}…")
        self.workers.run(delete_all, self._deleted, self._delete_failed)

    def _deleted(self, ids: list[str]) -> None:
        self._set_busy(False, f"Deleted {', '.join(ids)}.")
        self.refresh()

    def _delete_failed(self, exc: BaseException) -> None:
        log.error("deleting models failed", exc_info=exc)
        self._set_busy(False, f"Could not delete the model: {exc}")
        self.refresh()

    def _set_busy(self, busy: bool, message: str) -> None:
        self._busy = busy
        self.download_button.setEnabled(not busy)
        self.delete_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy)
        self.status.setText(message)
        self._update_buttons()

    def _on_progress(self, job: Job, update) -> None:  # type: ignore[no-untyped-def]
        model_id = self._pending.get(job.id)
        if model_id is None:
            return
        for row in range(self.table.rowCount()):
            item = self.table.item(row, STATUS_COL)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == model_id:
                item.setText(f"downloading {update.fraction:.0%}")

    def _on_finished(self, job: Job, _result: object) -> None:
        self._on_done(job)

    def _on_failed(self, job: Job, _message: str, _detail: str) -> None:
        self._on_done(job)

    def _on_done(self, job: Job) -> None:
        if self._pending.pop(job.id, None) is not None:
            self.refresh()
