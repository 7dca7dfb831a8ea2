"""Canvas controller: selection (SAM clicks, brush, mask ops) and the model jobs.

It owns no widgets: it reads the tool panel, edits the :class:`CanvasDocument`, draws stroke
previews and click markers on the view, shows running jobs on the canvas's busy badge and
submits jobs to the service. Jobs are bound back by id: results of jobs this workspace did not
submit (or of a click that a newer click replaced) are ignored. ``state_changed`` tells the
workspace to refresh which buttons are enabled; ``notify`` says what a finished job did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from studio.core.errors import StudioError
from studio.services.inference import InferenceService
from studio.services.jobs import Job, JobState, Priority
from studio.ui.widgets.images import thumbnail_icon
from studio.ui.workspaces.canvas.document import CanvasDocument, ImageCommand, Selection
from studio.ui.workspaces.canvas.face_tool import FaceDetailTool
from studio.ui.workspaces.canvas.grow_and_words import GrowAndWords
from studio.ui.workspaces.canvas.overlay import BusyOverlay
from studio.ui.workspaces.canvas.panel import ToolPanel
from studio.ui.workspaces.canvas.strokes import BrushStrokes
from studio.ui.workspaces.canvas.view import CanvasView


@dataclass
class _Clicks:
    points: list[tuple[float, float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    box: tuple[float, float, float, float] | None = None


class CanvasController(GrowAndWords, FaceDetailTool, QObject):
    """Selection tools and jobs of one Canvas workspace."""

    state_changed = Signal()  # a job started or ended, or a cut-out changed: refresh buttons
    notify = Signal(str)  # a finished action, in a few words ("Removed the selection")

    def __init__(
        self,
        doc: CanvasDocument,
        view: CanvasView,
        panel: ToolPanel,
        service: InferenceService,
        busy: BusyOverlay,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc, self.view, self.panel, self.service = doc, view, panel, service
        self.busy = busy
        self._progress: tuple[str, float | None] = ("", None)  # the action's stage, fraction
        self.action_job: Job | None = None
        self.segment_job: Job | None = None
        self.fill_command: ImageCommand | None = None
        self.fill_images: list[Any] = []
        self.fill_seeds: list[int] = []
        self.clicks = _Clicks()
        self.strokes = BrushStrokes(doc, view, self)
        self._jobs: dict[str, tuple[str, int]] = {}  # job id -> (action, document uid)
        p, v = self.panel, self.view
        v.point_clicked.connect(self.add_point)
        v.box_drawn.connect(self.set_box)
        p.grow_button.clicked.connect(lambda: self.mask_op("grow"))
        p.shrink_button.clicked.connect(lambda: self.mask_op("shrink"))
        p.feather_button.clicked.connect(lambda: self.mask_op("feather"))
        p.invert_button.clicked.connect(lambda: self.mask_op("invert"))
        p.clear_button.clicked.connect(lambda: self.mask_op("clear"))
        p.remove_button.clicked.connect(self.remove)
        p.fill_button.clicked.connect(self.fill)
        p.cutout_button.clicked.connect(self.cutout)
        p.edit_cutout_button.clicked.connect(self.edit_cutout_mask)
        p.apply_cutout_button.clicked.connect(self.apply_cutout_mask)
        p.upscale_button.clicked.connect(self.upscale)
        p.face_button.clicked.connect(lambda: self.face_detail())
        p.words_button.clicked.connect(lambda: self.select_by_words())
        p.words.returnPressed.connect(lambda: self.select_by_words())
        busy.cancel_button.clicked.connect(lambda: self.cancel_action())
        p.variation_list.currentRowChanged.connect(self.choose_variation)
        s = self.service
        s.job_started.connect(self._on_started)
        s.job_progress.connect(self._on_progress)
        s.job_finished.connect(self._on_finished)
        s.job_failed.connect(self._on_failed)
        s.job_cancelled.connect(self._on_cancelled)

    # ---- selection -------------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        self.view.tool = tool
        self.view.cursor_ring.setVisible(False)

    def sync_clicks(self) -> None:
        """Take the clicks from the document (after undo/redo), unless a click is pending."""
        if self.segment_job is None:
            sel = self.doc.selection
            self.clicks = _Clicks(list(sel.points), list(sel.labels), sel.box)
        self._show_clicks()

    def _show_clicks(self) -> None:
        c = self.clicks
        self.view.markers.show(c.points, c.labels, c.box)

    def add_point(self, x: float, y: float, label: int) -> Job | None:
        self.clicks.points.append((float(x), float(y)))
        self.clicks.labels.append(int(label))
        self._show_clicks()  # at once: the mask follows when the model has answered
        return self._segment()

    def set_box(self, x0: float, y0: float, x1: float, y1: float) -> Job | None:
        self.clicks.box = (float(x0), float(y0), float(x1), float(y1))
        self._show_clicks()
        return self._segment()

    def _segment(self) -> Job | None:
        from studio.pipelines.canvas.segment import SegmentRequest

        if not self.doc.has_image:
            return None
        if self.words_selected() and self.clicks.box is None:
            return self.select_by_words(self.words_selection[1])  # the words keep counting
        c = self.clicks
        request = SegmentRequest(
            image=self.doc.rgb(),
            points=list(c.points),
            labels=list(c.labels),
            box=c.box,
            model=self.panel.sam_model.currentData(),
            image_key=self.doc.image_key,
        )
        # The latest click wins: an older click still queued is dropped.
        if self.segment_job is not None and self.segment_job.state is JobState.QUEUED:
            self.service.cancel(self.segment_job.id)
        job = self._submit("segment", "canvas.segment", request, Priority.INTERACTIVE, "Select")
        self.segment_job = job
        self.panel.status.setText("Selecting…")
        self._show_busy()
        return job

    def mask_op(self, op: str) -> None:
        from studio.pipelines.canvas import masks

        if not self.doc.has_image:
            return
        px = self.panel.mask_px.value()
        self.doc.set_mask(masks.apply(self.doc.mask, op, px), op.capitalize())

    # ---- actions ---------------------------------------------------------------------------------
    def remove(self) -> Job | None:
        from studio.pipelines.canvas.remove import RemoveRequest

        return self._action(
            "remove",
            "canvas.remove",
            RemoveRequest(image=self.doc.rgb(), mask=self.doc.mask),
            "Remove",
        )

    def fill_request(self) -> Any:
        from studio.ui.workspaces.canvas.fill_models import fill_request

        return fill_request(self.doc, self.panel)

    def fill(self) -> Job | None:
        return self._action("fill", "canvas.fill", self.fill_request(), "Fill")

    def cutout(self) -> Job | None:
        from studio.pipelines.canvas.cutout import CutoutRequest

        p = self.panel
        bg = None
        if p.background.currentData() == "colour":
            bg = (p.colour.red(), p.colour.green(), p.colour.blue())
        request = CutoutRequest(
            image=self.doc.rgb(), model=p.cutout_model.currentData(), background=bg
        )
        return self._action("cutout", "canvas.cutout", request, "Cut out")

    def upscale(self) -> Job | None:
        from studio.pipelines.canvas.upscale import UpscaleRequest

        return self._action(
            "upscale", "canvas.upscale", UpscaleRequest(image=self.doc.image), "Upscale x4"
        )

    def current_cutout(self) -> ImageCommand | None:
        """The cut-out the image currently shows (if the last image edit was one)."""
        stack = self.doc.stack
        for i in range(stack.index() - 1, -1, -1):
            cmd = stack.command(i)
            if isinstance(cmd, ImageCommand):
                return cmd if getattr(cmd, "cutout", None) is not None else None
        return None

    def edit_cutout_mask(self) -> None:
        cmd = self.current_cutout()
        if cmd is not None:
            self.doc.set_mask(cmd.cutout[1].copy(), "Edit cut-out mask")

    def apply_cutout_mask(self) -> None:
        """Composite the cut-out's source again with the (brushed) selection as alpha."""
        from studio.pipelines.canvas.cutout import apply_mask

        cmd = self.current_cutout()
        if cmd is None:
            return
        source, _old, bg = cmd.cutout
        mask = self.doc.mask.copy()
        new = self.doc.apply_image(
            apply_mask(source, mask, bg), "Refine cut-out", dict(cmd.record.settings)
        )
        new.cutout = (source, mask, bg)
        self.state_changed.emit()

    def reset(self) -> None:
        """A new document: cancel the old one's job, forget its clicks and variations."""
        self.cancel_action()
        if self.segment_job is not None and self.segment_job.state is JobState.QUEUED:
            self.service.cancel(self.segment_job.id)
        self.segment_job = None  # a late result belongs to the old document: ignored
        self.clicks = _Clicks()
        self._show_clicks()
        self.strokes.drop()
        self._forget_variations()
        self._show_busy()

    def _forget_variations(self) -> None:
        self.fill_command, self.fill_images, self.fill_seeds = None, [], []
        lst = self.panel.variation_list
        lst.blockSignals(True)
        lst.clear()
        lst.blockSignals(False)
        lst.setVisible(False)

    def cancel_action(self) -> None:
        job = self.action_job
        if job is not None:
            self.service.cancel(job.id)  # a queued job ends at once: action_job is None now
            if self.action_job is job:
                self.panel.status.setText(f"Cancelling {job.title}…")
                self._progress = ("cancelling", None)
                self._show_busy()

    def _submit(self, action: str, kind: str, request: Any, priority: Priority, label: str) -> Job:
        job = self.service.submit(kind, request, priority, label)
        self._jobs[job.id] = (action, self.doc.uid)
        return job

    def _action(self, action: str, kind: str, request: Any, label: str) -> Job | None:
        if not self.doc.has_image or self.action_job is not None:
            return None
        try:
            job = self._submit(action, kind, request, Priority.NORMAL, label)
        except (KeyError, StudioError) as exc:
            self.panel.status.setText(str(exc))
            return None
        self.action_job = job
        focus = QApplication.focusWidget()
        self.panel.set_busy(True)
        self.state_changed.emit()  # the tool bar's job actions too
        if focus is not None and not focus.isEnabled():
            # The clicked button is disabled now: Qt would hand the focus to the next field
            # (the prompt), where B types a letter. The image is what the user looks at.
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self._progress = ("waiting", None)
        self._show_busy()
        self.panel.status.setText(f"{label}: queued")
        return job

    def choose_variation(self, row: int) -> None:
        if self.fill_command is not None and 0 <= row < len(self.fill_images):
            self.fill_command.choose(self.fill_images[row], {"seed": self.fill_seeds[row]})

    # ---- job signals ------------------------------------------------------------------------
    def _show_busy(self) -> None:
        """The badge on the canvas: the running action (with Cancel), else a pending click."""
        if self.action_job is not None:
            stage, fraction = self._progress
            self.busy.show_job(f"{self.action_job.title}: {stage}", fraction, cancellable=True)
        elif self.segment_job is not None:
            self.busy.show_job("Selecting…", None, cancellable=False)
        else:
            self.busy.setVisible(False)

    def _on_started(self, job: Job) -> None:
        if job is self.action_job:
            self._progress = ("starting", None)
            self._show_busy()

    def _on_progress(self, job: Job, update: Any) -> None:
        if job is not self.action_job or self._progress[0] == "cancelling":
            return
        self._progress = (update.stage, update.fraction)
        self._show_busy()

    def _end(self, job: Job) -> str | None:
        """Forget the job; its action name, or None if it is not ours (or for another image)."""
        action, uid = self._jobs.pop(job.id, (None, 0))
        ours = uid == self.doc.uid
        if job is self.action_job:
            self.action_job = None
            self.panel.set_busy(False)
            self.state_changed.emit()
        if job is self.segment_job:
            self.segment_job = None
        self._show_busy()
        return action if ours else None

    def _on_finished(self, job: Job, result: Any) -> None:
        latest = job is self.segment_job
        action = self._end(job)
        if action is None:
            return
        if action in ("expand", "text_select"):
            self.finish_grow_or_words(action, job, result, latest)
            return
        if action == "face_detail":
            self.finish_face_detail(job, result)
            return
        if action == "segment":
            if latest:
                c = self.clicks
                self.doc.set_selection(
                    Selection(result.mask, tuple(c.points), tuple(c.labels), c.box), "Select"
                )
                self.panel.status.setText(f"Selected (score {result.score:.2f}).")
            return
        self.panel.status.setText(f"{job.title} done. Undo with Ctrl+Z.")
        self._forget_variations()
        if action == "remove":
            self.doc.apply_image(
                result.image,
                "Remove",
                {"model": job.request.model, "feather_px": job.request.feather_px},
            )
            self.notify.emit("Removed the selection")
        elif action == "fill":
            self._apply_fill(result)
            n = len(result.images)
            self.notify.emit(f"Filled: {n} variations to pick from" if n > 1 else "Filled")
        elif action == "cutout":
            bg = job.request.background
            cmd = self.doc.apply_image(
                result.image,
                "Cut out",
                {"model": job.request.model, "background": list(bg) if bg else "transparent"},
            )
            cmd.cutout = (job.request.image, result.mask, bg)
            self.state_changed.emit()
            self.notify.emit("Cut out the background")
        elif action == "upscale":
            self.doc.apply_image(
                result.image, "Upscale x4", {"model": job.request.model, "scale": result.scale}
            )
            h, w = result.image.shape[:2]
            self.notify.emit(f"Upscaled to {w} x {h}")

    def _apply_fill(self, result: Any) -> None:
        settings = {k: v for k, v in result.settings.items() if k != "seeds"}
        settings["seed"] = result.seeds[0]
        self.fill_images, self.fill_seeds = list(result.images), list(result.seeds)
        self.fill_command = self.doc.apply_image(result.images[0], "Fill", settings)
        lst = self.panel.variation_list
        lst.blockSignals(True)
        lst.clear()
        for i, (image, seed) in enumerate(zip(result.images, result.seeds, strict=True)):
            lst.addItem(f"{i + 1}")
            lst.item(i).setIcon(thumbnail_icon(image, 56))
            lst.item(i).setToolTip(f"Seed {seed}")
        lst.setCurrentRow(0)
        lst.blockSignals(False)
        lst.setVisible(len(result.images) > 1)

    def _on_failed(self, job: Job, message: str, detail: str) -> None:
        action = self._end(job)
        if action is None:
            return
        # The main window shows the error box (and offers missing models); say it here too.
        self.panel.status.setText(message)
        if action in ("segment", "text_select"):
            self.sync_clicks()

    def _on_cancelled(self, job: Job) -> None:
        action = self._end(job)
        if action is not None and action not in ("segment", "text_select"):
            self.panel.status.setText(f"{job.title} cancelled; nothing was changed.")
