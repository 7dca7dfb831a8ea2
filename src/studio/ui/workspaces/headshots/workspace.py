"""The Headshots workspace: a four-tab wizard over the ``headshots.*`` jobs.

1. *Selfies* (``selfie_step.py``): add 1-3 photos (button or drag and drop); each is checked
   at once by a ``headshots.check`` job (no model download needed), showing its aligned face
   crop or why it was rejected.
2. *Style* (``style_step.py``): a style pack, images, size, refine top-k, upscale; the
   workspace's licence (non-commercial as a whole) and each face model's.
3. *Generate & review* (here, with ``gallery.py``): one ``headshots.pack`` job; the gallery
   fills as drafts arrive, with progress, ETA and cancel; then best first with scores, flagged
   images badged and hidden unless asked (all shown, with a note, when every one is flagged);
   re-roll the selected images (``headshots.reroll``). Past packs can be reopened.
4. *Export* (``export_step.py``): the selected images as JPEG (q95) or WebP with metadata and
   JSON sidecars.

Widgets never call pipelines: they submit jobs and follow the service's signals by job id.
Pack manifests, thumbnails and exports are read and written on I/O workers, never on the GUI
thread.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core import paths
from studio.core.errors import StudioError
from studio.pipelines.headshots.styles import list_styles
from studio.services.jobs import Priority
from studio.ui.widgets.worker import IoWorkers
from studio.ui.workspaces.headshots.export_step import ExportStep
from studio.ui.workspaces.headshots.gallery import Gallery, number, review_note
from studio.ui.workspaces.headshots.selfie_step import MAX_SELFIES, SelfieStep
from studio.ui.workspaces.headshots.style_step import StyleStep

if TYPE_CHECKING:
    from studio.pipelines.headshots.pack import PackRequest
    from studio.pipelines.headshots.packs import Pack

__all__ = ["HeadshotsWorkspace"]

# The pipeline modules (packs, pack, reroll, selfies) load numpy and more: each is imported
# where a job is submitted or a pack is read, never while the window is built.

log = logging.getLogger(__name__)


def packs_root() -> Path:
    return paths.headshot_packs_dir()


def _past_entries(root: Path) -> list[tuple[str, str]]:
    """(label, folder) of each saved pack, newest first (runs on an I/O worker)."""
    try:
        names = {s.id: s.name for s in list_styles()}
    except StudioError:  # unreadable style files: the ids still say which style
        names = {}
    from studio.pipelines.headshots import packs

    out = []
    for pack in packs.list_packs(root):
        flagged = sum(bool(im.flags) for im in pack.images)
        note = f", {flagged} flagged" if flagged else ""
        done = "" if pack.complete else " (unfinished)"
        when = time.strftime("%d %b %H:%M", time.localtime(pack.created))
        style = names.get(pack.style, pack.style)
        label = f"{style} · {when} · {len(pack.images)} images{note}{done}"
        out.append((label, str(pack.folder)))
    return out


class HeadshotsWorkspace(QWidget):
    """Selfies, style, generate & review, export: one tab each."""

    exported = Signal(list)  # the files an export wrote (empty when it failed)

    def __init__(self, service: Any, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.store = service, store
        self.selfies: list[Path] = []
        self.accepted: dict[Path, bool] = {}
        self.pack: Pack | None = None
        self._jobs: dict[str, str] = {}  # job id -> what it is ("check", "pack", "reroll")
        self._check_job: str | None = None  # the newest check: older results are stale
        self._pack_job: str | None = None
        self._pack_folder: Path | None = None
        self._past_request = 0  # newer past-pack listings win over older ones
        self._load_request = 0  # the newest pack asked for wins (arrow keys on Past packs)
        self.workers = IoWorkers(self)  # pack manifests: listing, opening, reloading
        self.setAcceptDrops(True)
        self.selfie_step = SelfieStep()
        self.selfie_step.added.connect(self.add_selfies)
        self.selfie_step.cleared.connect(self._forget_selfies)
        self.style_step = StyleStep(store.catalogue)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.selfie_step, "1 Selfies")
        self.tabs.addTab(self.style_step, "2 Style")
        self.tabs.addTab(self._review_tab(), "3 Generate && review")
        self.export_step = ExportStep(
            lambda: (self.pack, self.gallery.selected_indices()), store.catalogue
        )
        self.export_step.exported.connect(self.exported)
        self.tabs.addTab(self.export_step, "4 Export")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        service.job_progress.connect(self._on_progress)
        service.job_finished.connect(self._on_finished)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_cancelled)
        self._update_buttons()
        self.refresh_past_packs()

    def _review_tab(self) -> QWidget:
        page = QWidget()
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(lambda: self.generate())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self.cancel())
        self.reroll_button = QPushButton("Re-roll selected")
        self.reroll_button.clicked.connect(lambda: self.reroll())
        self.show_flagged = QCheckBox("Show flagged")
        self.show_flagged.toggled.connect(lambda on: self._set_show_flagged(on))
        self.past = QComboBox(minimumContentsLength=18, placeholderText="(none yet)")
        self.past.activated.connect(lambda row: self._open_past(row))
        self.progress = QProgressBar()
        self.eta = QLabel("")
        self.note = QLabel("Pick selfies and a style, then Generate.")
        self.note.setWordWrap(True)
        self.gallery = Gallery()
        self.gallery.itemSelectionChanged.connect(lambda: self._update_buttons())
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
        lay.addWidget(self.note)
        lay.addWidget(self.gallery)
        return page

    def _update_buttons(self) -> None:
        generating = self._pack_job is not None
        rerolling = "reroll" in self._jobs.values()
        self.generate_button.setEnabled(not generating)
        self.progress.setVisible(generating)
        self.eta.setVisible(generating)
        flagged = self.pack is not None and any(im.flags for im in self.pack.images)
        self.show_flagged.setEnabled(flagged)
        self.cancel_button.setEnabled(generating)
        self.past.setEnabled(not generating)
        # a streaming draft has no index yet, and the pack job owns the manifest meanwhile
        can_reroll = self.pack is not None and not generating and not rerolling
        self.reroll_button.setEnabled(can_reroll and bool(self.gallery.selected_indices()))
        self.export_step.update_selection()

    # ---- selfies ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self.add_selfies([Path(u.toLocalFile()) for u in event.mimeData().urls()])

    def add_selfies(self, files: list[Path]) -> None:
        """Add photos (at most three in all) and check them on the device thread."""
        wanted = self.selfies + [f for f in files if f not in self.selfies]
        self.selfies = wanted[:MAX_SELFIES]
        self.accepted = {}
        self.selfie_step.show_checking(self.selfies, len(wanted) - len(self.selfies))
        from studio.pipelines.headshots.selfies import SelfieRequest

        job = self.service.submit(
            "headshots.check",
            SelfieRequest(list(self.selfies)),
            Priority.INTERACTIVE,
            "Check selfies",
        )
        self._jobs[job.id] = "check"
        self._check_job = job.id

    def _forget_selfies(self) -> None:
        self.selfies, self.accepted, self._check_job = [], {}, None

    # ---- generate --------------------------------------------------------------------------
    def build_request(self) -> PackRequest:
        from studio.pipelines.headshots.pack import PackRequest

        good = [p for p in self.selfies if self.accepted.get(p, False)]
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
            checking = self._check_job is not None and not self.accepted
            self.selfie_step.status.setText(
                "Wait for the selfie check to finish."
                if checking
                else "Add at least one accepted selfie first."
            )
            self.tabs.setCurrentIndex(0)
            return
        request.folder = packs_root() / request.pack_id
        self._load_request += 1  # a pack still loading must not replace the new one
        self.pack = None
        self._pack_folder = request.folder
        self.gallery.clear_images()
        self.progress.setValue(0)
        self.eta.setText("")
        self.note.setText(f"Generating {request.count} image(s)…")
        job = self.service.submit("headshots.pack", request, Priority.BATCH, "Headshot pack")
        self._jobs[job.id] = "pack"
        self._pack_job = job.id
        self._update_buttons()
        self.tabs.setCurrentIndex(2)

    def cancel(self) -> None:
        if self._pack_job:
            self.service.cancel(self._pack_job)
            self.note.setText("Cancelling after the current image…")

    def reroll(self) -> None:
        """Draw each selected image again with a new seed (one job each, in turn)."""
        indices = self.gallery.selected_indices()
        if self.pack is None or not indices:
            return
        from studio.pipelines.headshots.reroll import RerollRequest

        for index in indices:
            job = self.service.submit(
                "headshots.reroll",
                RerollRequest(self.pack.folder, index),
                Priority.NORMAL,
                f"Re-roll {number(index)}",
            )
            self._jobs[job.id] = "reroll"
        self.note.setText(f"Re-rolling {' '.join(number(i) for i in indices)}…")
        self._update_buttons()

    # ---- signals ---------------------------------------------------------------------------
    def _on_progress(self, job: Any, update: Any) -> None:
        if self._jobs.get(job.id) != "pack":
            return
        self.progress.setMaximum(max(1, update.total))
        self.progress.setValue(update.done)
        self.progress.setFormat(f"{update.stage} %v/%m")
        self.eta.setText(f"about {update.eta_s:.0f} s left" if update.eta_s else "")
        if update.preview is not None and update.stage == "Drafts":
            self.gallery.add_preview(update.preview, update.done)

    def _on_finished(self, job: Any, result: Any) -> None:
        kind = self._jobs.pop(job.id, None)
        if kind == "check" and job.id == self._check_job:
            oks = self.selfie_step.show_checks(self.selfies, result)
            self.accepted = dict(zip(self.selfies, oks, strict=False))
        elif kind == "pack":
            self._pack_job = None
            self.eta.setText("")
            self.show_pack(result.pack)
            self.refresh_past_packs()
        elif kind == "reroll" and self.pack is not None:
            self._reload(self.pack.folder)
        self._update_buttons()

    def _on_failed(self, job: Any, message: str, detail: str) -> None:
        kind = self._jobs.pop(job.id, None)
        if kind == "check" and job.id == self._check_job:
            self.selfie_step.status.setText(message)
        elif kind in ("pack", "reroll"):
            if kind == "pack":
                self._pack_job = None
            self.eta.setText("")
            self.note.setText(message)
            self._show_partial(prefix=message)
        self._update_buttons()

    def _on_cancelled(self, job: Any) -> None:
        kind = self._jobs.pop(job.id, None)
        if kind == "pack":
            self._pack_job = None
            self.eta.setText("")
            self.note.setText("Cancelled: finished images are kept.")
            self._show_partial(prefix="Cancelled: finished images are kept.")
        self._update_buttons()

    def _show_partial(self, prefix: str) -> None:
        """After a failure or cancel: the images saved so far, if any, under ``prefix``."""
        if self._pack_folder is not None:
            self._reload(self._pack_folder, prefix=prefix, quiet=True)
            self.refresh_past_packs()

    # ---- review ----------------------------------------------------------------------------
    def show_pack(self, pack: Pack, prefix: str = "") -> None:
        """Fill the gallery best first, with scores. Flagged images are hidden unless asked,
        except when every image is flagged: then they are shown, and the note says why."""
        same = self.pack is not None and self.pack.folder == pack.folder
        self.pack = pack
        self._pack_folder = pack.folder
        if not same:  # a pack opened afresh: show flagged images only when nothing else is
            every = bool(pack.images) and all(im.flags for im in pack.images)
            self.show_flagged.blockSignals(True)
            self.show_flagged.setChecked(every)
            self.show_flagged.blockSignals(False)
        self.gallery.show_flagged = self.show_flagged.isChecked()
        self.gallery.show_pack(pack)
        note = review_note(pack, self.show_flagged.isChecked())
        self.note.setText(f"{prefix} {note}" if prefix else note)
        self._update_buttons()

    def _set_show_flagged(self, on: bool) -> None:
        self.gallery.set_show_flagged(on)
        if self.pack is not None:
            self.note.setText(review_note(self.pack, on))
        self._update_buttons()

    def _reload(self, folder: Path, prefix: str = "", quiet: bool = False) -> None:
        """Read ``folder``'s manifest on a worker, then show it (``quiet``: no pack, no note)."""

        self._load_request += 1
        request = self._load_request

        def loaded(pack: Pack) -> None:
            if request == self._load_request:
                self.show_pack(pack, prefix=prefix)

        def failed(exc: BaseException) -> None:
            if not quiet and request == self._load_request:
                text = exc.user_message if isinstance(exc, StudioError) else str(exc)
                self.note.setText(text)

        from studio.pipelines.headshots import packs

        self.workers.run(lambda: packs.load_pack(folder), loaded, failed)

    def visible_indices(self) -> list[int]:
        return self.gallery.visible_indices()

    def refresh_past_packs(self) -> None:
        """List the saved packs on a worker, then fill the Past packs box."""
        self._past_request += 1
        request, root = self._past_request, packs_root()

        def fill(entries: list[tuple[str, str]]) -> None:
            if request != self._past_request:
                return
            self.past.clear()
            for label, folder in entries:
                self.past.addItem(label, folder)
            self.past.setCurrentIndex(-1)  # the placeholder: nothing is "opened" by listing

        self.workers.run(lambda: _past_entries(root), fill)

    def _open_past(self, row: int) -> None:
        folder = self.past.itemData(row)
        if folder:
            self.note.setText("Opening…")
            self._reload(Path(folder))
