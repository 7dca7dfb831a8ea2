"""The Headshots workspace: a four-page wizard over the ``headshots.*`` jobs, walked with the
tabs or Back / Next (``wizard_nav.py``; Next says why a step is incomplete).

1. *Selfies* (``selfie_step.py``): add 1-3 photos (button, File > Open or drag and drop); each
   is checked at once by a ``headshots.check`` job (no model download needed), showing its
   aligned face crop or why it was rejected.
2. *Style* (``style_step.py``, ``style_options.py``): a style pack, images, format (1:1,
   4:5, 2:3), face detail (on at 0.5 when its model is installed), and under More options
   size, refine top-k, upscale, a fixed seed; the workspace's licence (non-commercial as a
   whole) and each face model's. A gallery entry's settings land here (``reuse.py``).
3. *Generate & review* (``review_step.py``, ``gallery.py``): one ``headshots.pack`` job; the
   gallery fills as drafts arrive, with progress, ETA and cancel; then best first with scores,
   flagged images always badged with their reason (Hide flagged hides them); re-roll the
   selected images (``headshots.reroll``: each keeps its place and the selection stays);
   export the selection from here too; Open in Canvas hands one portrait to the Canvas;
   Show before compares face detail. Past packs can be reopened (``pack_view.py``).
4. *Export* (``export_step.py``): the selected images as JPEG (q95) or WebP with metadata and
   JSON sidecars, numbered as shown (#1 is ``headshot_001``).

The window's File / Edit menus reach it through ``menu_actions.py``. Widgets never call
pipelines: they submit jobs and follow the service's signals by job id. Pack manifests,
thumbnails and exports are read and written on I/O workers, never on the GUI thread; so is
the gallery's record of each finished pack and export (``recording.py``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from studio.services.jobs import Priority
from studio.ui.widgets.worker import IoWorkers
from studio.ui.workspaces.headshots import menu_actions
from studio.ui.workspaces.headshots.export_step import ExportStep, portraits
from studio.ui.workspaces.headshots.gallery import number
from studio.ui.workspaces.headshots.pack_view import PackView
from studio.ui.workspaces.headshots.past_packs import packs_root
from studio.ui.workspaces.headshots.recording import record_in_background, record_pack
from studio.ui.workspaces.headshots.reuse import apply_settings
from studio.ui.workspaces.headshots.review_step import ReviewStep, eta_text
from studio.ui.workspaces.headshots.selfie_step import MAX_SELFIES, SelfieStep
from studio.ui.workspaces.headshots.style_step import StyleStep
from studio.ui.workspaces.headshots.wizard_nav import WizardNav

if TYPE_CHECKING:
    from studio.pipelines.headshots.pack import PackRequest
    from studio.pipelines.headshots.packs import Pack

__all__ = ["HeadshotsWorkspace"]

# The pipeline modules (packs, pack, reroll, selfies) load numpy and more: each is imported
# where a job is submitted or a pack is read, never while the window is built.

log = logging.getLogger(__name__)
SELFIES, STYLE, REVIEW, EXPORT = 0, 1, 2, 3


class HeadshotsWorkspace(QWidget, PackView):
    """Selfies, style, generate & review, export: one page each, with Back / Next."""

    exported = Signal(list)  # the files an export wrote (empty when it failed)
    actions_changed = Signal()  # what action_enabled answers may have changed
    notify = Signal(str)  # "Exported 10 portraits to ~/Pictures/headshots"
    opened_file = Signal(str)  # selfies added, packs opened: for File > Open Recent
    open_in_canvas = Signal(object)  # a portrait's pixels (RGB array); the shell opens it

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
        self.style_step = StyleStep(store.catalogue, store=store)
        self.style_step.style_box.currentIndexChanged.connect(lambda _i: self._update_buttons())
        self.style_step.prompt.textChanged.connect(lambda _t: self._update_buttons())
        self.review = ReviewStep()
        self._bind_review(self.review)
        self.export_step = ExportStep(
            lambda: (self.pack, self.gallery.selected_indices()), store.catalogue, store=store
        )
        self.export_step.exported.connect(self._on_exported)
        self.export_step.said.connect(self._on_export_said)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.selfie_step, "1 Selfies")
        self.tabs.addTab(self.style_step, "2 Style")
        self.tabs.addTab(self.review, "3 Generate && review")
        self.tabs.addTab(self.export_step, "4 Export")
        self.nav = WizardNav(self.tabs, self._next_blocker)
        self.tabs.currentChanged.connect(lambda _page: self.actions_changed.emit())
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.nav)
        service.job_progress.connect(self._on_progress)
        service.job_finished.connect(self._on_finished)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_cancelled)
        self._update_buttons()
        self.refresh_past_packs()

    def _bind_review(self, review: ReviewStep) -> None:
        # the review page's widgets, named here as the workspace (and its tests) use them
        self.generate_button, self.cancel_button = review.generate_button, review.cancel_button
        self.reroll_button, self.hide_flagged = review.reroll_button, review.hide_flagged
        self.past, self.progress, self.eta = review.past, review.progress, review.eta
        self.note, self.gallery = review.note, review.gallery
        # lambdas: clicked(bool) must never reach a method's parameters
        self.generate_button.clicked.connect(lambda: self.generate())
        self.cancel_button.clicked.connect(lambda: self.cancel())
        self.reroll_button.clicked.connect(lambda: self.reroll())
        review.export_button.clicked.connect(lambda: self.export_step.export())
        review.open_in_canvas.connect(self.open_in_canvas)  # Open in Canvas: signal to signal
        self.hide_flagged.toggled.connect(lambda on: self._set_hide_flagged(on))
        self.past.activated.connect(lambda row: self._open_past(row))
        self.gallery.itemSelectionChanged.connect(lambda: self._update_buttons())

    def _update_buttons(self) -> None:
        flagged = self.pack is not None and any(im.flags for im in self.pack.images)
        self.review.update_buttons(
            has_pack=self.pack is not None,
            flagged=flagged,
            generating=self._pack_job is not None,
            busy="reroll" in self._jobs.values() or self.export_step.exporting,
        )
        self.export_step.update_selection()
        self.nav.update_state()
        self.actions_changed.emit()

    def _next_blocker(self, page: int) -> str:
        """Why Next cannot leave ``page`` yet ("" when it can)."""
        if page == SELFIES:
            if not self.selfies:
                return "Add at least one selfie first."
            if self._check_job is not None and not self.accepted:
                return "Wait for the selfie check to finish."
            if not any(self.accepted.values()):
                return "None of the selfies can be used: add a clearer photo."
        elif page == STYLE:
            custom = self.style_step.style_box.currentData() == "custom"
            if custom and not self.style_step.prompt.text().strip():
                return "Describe the headshot you want in Prompt first."
        elif page == REVIEW:
            if self._pack_job is not None:
                return "Wait for the pack to finish."
            if self.pack is None:
                return "Generate or open a pack first."
            if not self.gallery.selected_indices():
                return "Select the portraits to export first."
        return ""

    def can_export(self) -> bool:
        busy = self._pack_job is not None or "reroll" in self._jobs.values()
        selected = bool(self.gallery.selected_indices())
        return self.pack is not None and selected and not busy and not self.export_step.exporting

    # ---- the window's menus (ui/shell/workspace_actions.py) ---------------------------------
    def action_enabled(self, name: str) -> bool:
        return menu_actions.action_enabled(self, name)

    def run_action(self, name: str) -> None:
        menu_actions.run_action(self, name)

    def shortcut_list(self) -> list[tuple[str, str]]:
        return list(menu_actions.SHORTCUTS)

    def open_path(self, path: str | Path) -> bool:
        """Open a pack folder in the review, or add a photo as a selfie; True if it did."""
        return menu_actions.open_path(self, Path(path))

    def apply_settings(self, settings: dict[str, Any]) -> bool:
        """A gallery entry's (or an exported portrait's) settings into the Style step, which
        is then shown; False, changing nothing, for settings it cannot use."""
        if not apply_settings(self.style_step, settings):
            return False
        self.tabs.setCurrentIndex(STYLE)
        self._update_buttons()
        return True

    def _on_exported(self, written: list[Path]) -> None:
        if written:
            self.notify.emit(f"Exported {portraits(len(written))} to {written[0].parent}")
        self._update_buttons()
        self.exported.emit(written)

    def _on_export_said(self, text: str) -> None:
        if self.tabs.currentIndex() == REVIEW:  # exported from the review page: say it there
            self.note.setText(text)
        self._update_buttons()

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
        for path in (f for f in files if f in self.selfies):
            self.opened_file.emit(str(path))
        self._update_buttons()

    def _forget_selfies(self) -> None:
        self.selfies, self.accepted, self._check_job = [], {}, None
        self._update_buttons()

    # ---- generate --------------------------------------------------------------------------
    def build_request(self) -> PackRequest:
        good = [p for p in self.selfies if self.accepted.get(p, False)]
        return self.style_step.pack_request(good, seed=int.from_bytes(os.urandom(3)))

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
        from studio.pipelines.headshots.frames import frame_size

        request.folder = packs_root() / request.pack_id
        self._load_request += 1  # a pack still loading must not replace the new one
        self.pack = None
        self._pack_folder = request.folder
        self.gallery.clear_images()
        self.gallery.set_frame(*frame_size(request.size, request.aspect))  # streamed drafts
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
        self.eta.setText(eta_text(update.eta_s))
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
            pack, store = result.pack, self.store
            record_in_background(self.workers, "the pack", lambda: record_pack(pack, store))
        elif kind == "reroll" and self.pack is not None:
            self.reload(self.pack.folder)
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
            self.reload(self._pack_folder, prefix=prefix, quiet=True)
            self.refresh_past_packs()
