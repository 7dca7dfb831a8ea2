"""The Headshots workspace: a four-tab wizard over the ``headshots.*`` jobs.

1. *Selfies*: add 1-3 photos (button or drag and drop); each is checked at once by a
   ``headshots.check`` job, showing its aligned face crop or why it was rejected.
2. *Style*: a style pack, picked from a list or its illustrative thumbnail (or a custom
   prompt), images, size, refine top-k, upscale; the licences of the face models (some
   non-commercial) are shown here.
3. *Generate & review*: one ``headshots.pack`` job; the gallery fills as drafts arrive, with
   progress, ETA and cancel; then best first with scores, flagged ones hidden unless asked;
   re-roll one image (``headshots.reroll``). Past packs can be reopened.
4. *Export*: the chosen images as JPEG (q95) or WebP with metadata and JSON sidecars.

Widgets never call pipelines: they submit jobs and follow the service's signals by job id.
The Style step (``style_step.py``) and the gallery (``gallery.py``) sit beside this module;
thumbnails and exports run on an I/O worker, never on the GUI thread.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core import paths
from studio.core.errors import StudioError
from studio.pipelines.headshots import packs
from studio.pipelines.headshots.pack import PackRequest
from studio.pipelines.headshots.reroll import RerollRequest
from studio.pipelines.headshots.selfies import SelfieRequest
from studio.services.jobs import Priority
from studio.ui.widgets.images import thumbnail_icon
from studio.ui.widgets.worker import IoWorkers
from studio.ui.workspaces.headshots.gallery import INDEX, Gallery
from studio.ui.workspaces.headshots.style_step import StyleStep

__all__ = ["HeadshotsWorkspace"]

log = logging.getLogger(__name__)


def packs_root() -> Path:
    return paths.headshot_packs_dir()


class HeadshotsWorkspace(QWidget):
    """Selfies, style, generate & review, export: one tab each."""

    exported = Signal(list)  # the files an export wrote (empty when it failed)

    def __init__(self, service: Any, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.store = service, store
        self.selfies: list[Path] = []
        self.accepted: dict[str, bool] = {}
        self.pack: packs.Pack | None = None
        self._jobs: dict[str, str] = {}  # job id -> what it is ("check", "pack", "reroll")
        self.workers = IoWorkers(self)  # exports
        self.setAcceptDrops(True)
        self.style_step = StyleStep(store.catalogue)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._selfie_tab(), "1 Selfies")
        self.tabs.addTab(self.style_step, "2 Style")
        self.tabs.addTab(self._gallery_tab(), "3 Generate && review")
        self.tabs.addTab(self._export_tab(), "4 Export")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        service.job_progress.connect(self._on_progress)
        service.job_finished.connect(self._on_finished)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_cancelled)
        self.refresh_past_packs()

    # ---- tabs ------------------------------------------------------------------------------
    def _selfie_tab(self) -> QWidget:
        page = QWidget()
        self.add_button = QPushButton("Add selfies…", clicked=self._browse)
        self.clear_button = QPushButton("Clear", clicked=self.clear_selfies)
        self.selfie_list = QListWidget(viewMode=QListWidget.ViewMode.IconMode)
        self.selfie_list.setIconSize(QSize(150, 150))
        self.selfie_status = QLabel("Add 1-3 clear, well-lit photos with only your face.")
        self.selfie_status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.clear_button)
        row.addStretch()
        lay = QVBoxLayout(page)
        lay.addLayout(row)
        lay.addWidget(self.selfie_list)
        lay.addWidget(self.selfie_status)
        return page

    def _gallery_tab(self) -> QWidget:
        page = QWidget()
        self.generate_button = QPushButton("Generate", clicked=self.generate)
        self.cancel_button = QPushButton("Cancel", clicked=self.cancel, enabled=False)
        self.reroll_button = QPushButton("Re-roll selected", clicked=self.reroll)
        self.show_flagged = QCheckBox("Show flagged")
        self.show_flagged.toggled.connect(lambda on: self.gallery.set_show_flagged(on))
        self.past = QComboBox(minimumContentsLength=14)
        self.past.activated.connect(self._open_past)
        self.progress = QProgressBar()
        self.eta = QLabel("")
        self.gallery = Gallery()
        top = QHBoxLayout()  # two short rows: the workspace must fit a 700 px window
        for w in (self.generate_button, self.cancel_button, self.reroll_button):
            top.addWidget(w)
        top.addStretch()
        second = QHBoxLayout()
        second.addWidget(self.show_flagged)
        second.addStretch()
        second.addWidget(QLabel("Past packs"))
        second.addWidget(self.past)
        bar = QHBoxLayout()
        bar.addWidget(self.progress)
        bar.addWidget(self.eta)
        lay = QVBoxLayout(page)
        lay.addLayout(top)
        lay.addLayout(second)
        lay.addLayout(bar)
        lay.addWidget(self.gallery)
        return page

    def _export_tab(self) -> QWidget:
        page = QWidget()
        self.export_format = QComboBox()
        self.export_format.addItem("JPEG (quality 95)", "jpeg")
        self.export_format.addItem("WebP", "webp")
        # a lambda: clicked(bool) must not land in export_selected's folder
        self.export_button = QPushButton("Export selected…")
        self.export_button.clicked.connect(lambda: self.export_selected())
        self.export_status = QLabel("Select images in the gallery, then export them.")
        form = QFormLayout(page)
        form.addRow("Format", self.export_format)
        form.addRow("", self.export_button)
        form.addRow("", self.export_status)
        return page

    # ---- selfies ---------------------------------------------------------------------------
    def _browse(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add selfies", "", "Images (*.jpg *.jpeg *.png *.webp *.heic)"
        )
        self.add_selfies([Path(f) for f in files])

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self.add_selfies([Path(u.toLocalFile()) for u in event.mimeData().urls()])

    def add_selfies(self, files: list[Path]) -> None:
        """Add photos (at most three in all) and check them on the device thread."""
        self.selfies = (self.selfies + [f for f in files if f not in self.selfies])[:3]
        self.selfie_status.setText("Checking…")
        job = self.service.submit(
            "headshots.check",
            SelfieRequest(list(self.selfies)),
            Priority.INTERACTIVE,
            "Check selfies",
        )
        self._jobs[job.id] = "check"

    def clear_selfies(self) -> None:
        self.selfies, self.accepted = [], {}
        self.selfie_list.clear()
        self.selfie_status.setText("Add 1-3 clear, well-lit photos with only your face.")

    def _show_checks(self, result: Any) -> None:
        self.selfie_list.clear()
        self.accepted = {}
        for report in result.reports:
            item = QListWidgetItem(report.name if report.ok else f"✗ {report.name}")
            if report.ok:
                item.setIcon(thumbnail_icon(report.crop, 150))
                item.setToolTip(
                    f"sharpness {report.sharpness:.0f}, brightness {report.brightness:.0f}"
                )
            else:
                item.setToolTip(report.message)
            self.accepted[report.name] = report.ok
            self.selfie_list.addItem(item)
        problems = [r.message for r in result.reports if not r.ok]
        if not result.same_person:
            problems.append("These photos do not look like the same person.")
        self.selfie_status.setText("\n".join(problems) or f"{result.accepted} selfie(s) ready.")

    # ---- generate --------------------------------------------------------------------------
    def build_request(self) -> PackRequest:
        good = [p for p in self.selfies if self.accepted.get(p.name, False)]
        step = self.style_step
        return PackRequest(
            selfies=good,
            style=step.style_box.currentData() or "corporate",
            custom_prompt=step.prompt.text(),
            count=step.count.value(),
            size=step.image_size.value(),
            refine_top_k=step.top_k.value(),
            upscale=step.upscale.isChecked(),
            seed=int.from_bytes(os.urandom(3)),
        )

    def generate(self) -> None:
        request = self.build_request()
        if not request.selfies:
            self.selfie_status.setText("Add at least one accepted selfie first.")
            self.tabs.setCurrentIndex(0)
            return
        request.folder = packs_root() / request.pack_id
        self.pack = None
        self._pack_folder = request.folder
        self.gallery.clear_images()
        self.progress.setValue(0)
        job = self.service.submit("headshots.pack", request, Priority.BATCH, "Headshot pack")
        self._jobs[job.id] = "pack"
        self._pack_job = job.id
        self.generate_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.tabs.setCurrentIndex(2)

    def cancel(self) -> None:
        job_id = getattr(self, "_pack_job", None)
        if job_id:
            self.service.cancel(job_id)

    def reroll(self) -> None:
        items = self.gallery.selectedItems()
        if self.pack is None or not items:
            return
        index = items[0].data(INDEX)
        job = self.service.submit(
            "headshots.reroll",
            RerollRequest(self.pack.folder, index),
            Priority.NORMAL,
            f"Re-roll #{index}",
        )
        self._jobs[job.id] = "reroll"

    # ---- signals ---------------------------------------------------------------------------
    def _on_progress(self, job: Any, update: Any) -> None:
        kind = self._jobs.get(job.id)
        if kind != "pack":
            return
        self.progress.setMaximum(max(1, update.total))
        self.progress.setValue(update.done)
        self.progress.setFormat(f"{update.stage} %v/%m")
        self.eta.setText(f"about {update.eta_s:.0f} s left" if update.eta_s else "")
        if update.preview is not None and update.stage == "Drafts":
            self.gallery.add_preview(update.preview, f"#{update.done}")

    def _on_finished(self, job: Any, result: Any) -> None:
        kind = self._jobs.pop(job.id, None)
        if kind == "check":
            self._show_checks(result)
        elif kind == "pack":
            self._job_ended()
            self.show_pack(result.pack)
            self.refresh_past_packs()
        elif kind == "reroll" and self.pack is not None:
            self.show_pack(packs.load_pack(self.pack.folder))

    def _on_failed(self, job: Any, message: str, detail: str) -> None:
        kind = self._jobs.pop(job.id, None)
        if kind == "check":
            self.selfie_status.setText(message)
        elif kind in ("pack", "reroll"):
            self._job_ended()
            self.eta.setText(message)
            self._show_partial()

    def _on_cancelled(self, job: Any) -> None:
        if self._jobs.pop(job.id, None) == "pack":
            self._job_ended()
            self.eta.setText("Cancelled: finished images are kept.")
            self._show_partial()

    def _job_ended(self) -> None:
        self.generate_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _show_partial(self) -> None:
        folder = getattr(self, "_pack_folder", None)
        if folder is not None and (folder / packs.MANIFEST).is_file():
            self.show_pack(packs.load_pack(folder))
            self.refresh_past_packs()

    # ---- review ----------------------------------------------------------------------------
    def show_pack(self, pack: packs.Pack) -> None:
        """Fill the gallery best first, with scores; flagged images hidden unless asked."""
        self.pack = pack
        self.gallery.show_pack(pack)

    def visible_indices(self) -> list[int]:
        return self.gallery.visible_indices()

    def refresh_past_packs(self) -> None:
        self.past.clear()
        for pack in packs.list_packs(packs_root()):
            done = "" if pack.complete else " (unfinished)"
            self.past.addItem(f"{pack.style} · {len(pack.images)} images{done}", str(pack.folder))

    def _open_past(self, row: int) -> None:
        folder = self.past.itemData(row)
        if folder:
            self._pack_folder = Path(folder)
            self.show_pack(packs.load_pack(folder))

    # ---- export ----------------------------------------------------------------------------
    def export_selected(self, folder: Path | None = None) -> bool:
        """Export the selected images (asking for a folder unless given) on an I/O worker;
        True when it started. ``exported`` reports the files written."""
        if self.pack is None:
            self.export_status.setText("Generate or open a pack first.")
            return False
        indices = self.gallery.selected_indices()
        if not indices:
            self.export_status.setText("Select images in the gallery first.")
            return False
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, "Export to")
            if not chosen:
                return False
            folder = Path(chosen)
        pack, fmt, target = self.pack, self.export_format.currentData(), Path(folder)
        self.export_button.setEnabled(False)
        self.export_status.setText(f"Exporting {len(indices)} image(s)…")
        self.workers.run(
            lambda: packs.export_images(pack, indices, target, fmt),
            lambda written: self._export_done(written, target),
            self._export_failed,
        )
        return True

    def _export_done(self, written: list[Path], folder: Path) -> None:
        self.export_button.setEnabled(True)
        self.export_status.setText(f"{len(written)} image(s) exported to {folder}.")
        self.exported.emit(written)

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        if isinstance(exc, StudioError):
            self.export_status.setText(exc.user_message)
        else:
            log.error("export failed", exc_info=exc)
            self.export_status.setText(f"The export failed: {exc}")
        self.exported.emit([])
