"""Two Canvas jobs of the second level, mixed into :class:`CanvasController`: Expand (a
``canvas.expand`` action job, like Fill: badge, Cancel, one undoable step) and Select by
words (a ``canvas.text_select`` job at click priority whose mask becomes the selection)."""

from __future__ import annotations

from typing import Any

from studio.services.jobs import JobState, Priority


class GrowAndWords:
    """Uses the controller's document, panel, ``_action``/``_submit`` and ``notify``."""

    doc: Any
    panel: Any
    service: Any
    clicks: Any
    segment_job: Any
    notify: Any
    # The selection made by words, and the words: clicks on it refine the same words.
    words_selection: tuple[Any, str] | None = None

    def words_selected(self) -> bool:
        """Whether the current selection came from words (not undone or replaced since)."""
        found = self.words_selection
        return found is not None and found[0] is self.doc.selection

    def expand(self, values: dict[str, Any]) -> Any:
        """Submit ``canvas.expand`` with the dialog's ``values`` (sides or aspect, prompt);
        Fill's negative prompt, seed, work size, model and LoRA go along (Expand always runs
        fast LCM).
        The job, or None when one is running."""
        from studio.pipelines.canvas.expand import ExpandRequest

        p = self.panel
        request = ExpandRequest(
            image=self.doc.rgb(),
            negative_prompt=p.negative.text(),
            seed=None if p.seed.value() < 0 else p.seed.value(),
            work_side=p.work_side.value(),
            **{**p.fill_models.fields(), **values},
        )
        return self._action("expand", "canvas.expand", request, "Expand")  # type: ignore[attr-defined]

    def select_by_words(self, words: str | None = None) -> Any:
        """Submit ``canvas.text_select`` for ``words`` (else the panel's), with the user's
        clicks (they add to or cut from what the words find). None without an image or words."""
        from studio.pipelines.canvas.text_select import TextSelectRequest

        words = " ".join((self.panel.words.text() if words is None else words).split())
        if not self.doc.has_image:
            return None
        if not words:
            self.panel.status.setText("Type what to select, e.g. 'the car'.")
            return None
        request = TextSelectRequest(
            image=self.doc.rgb(),
            prompt=words,
            points=list(self.clicks.points),
            labels=list(self.clicks.labels),
            sam_model=self.panel.sam_model.currentData(),
        )
        if self.segment_job is not None and self.segment_job.state is JobState.QUEUED:
            self.service.cancel(self.segment_job.id)  # the newest request wins, as clicks do
        job = self._submit(  # type: ignore[attr-defined]
            "text_select", "canvas.text_select", request, Priority.INTERACTIVE, "Select by words"
        )
        self.segment_job = job
        self.panel.status.setText(f"Looking for '{words}'…")
        self._show_busy()  # type: ignore[attr-defined]
        return job

    def finish_grow_or_words(self, action: str, job: Any, result: Any, latest: bool) -> None:
        """Apply a finished expand or text-selection job to the document."""
        if action == "text_select":
            if latest:
                from studio.ui.workspaces.canvas.document import Selection

                r = job.request
                selection = Selection(result.mask, tuple(r.points), tuple(r.labels))
                self.doc.set_selection(selection, f"Select '{r.prompt}'")
                self.words_selection = (selection, r.prompt)
                how = "refined by SAM" if result.refined else "CLIPSeg's region"
                self.panel.status.setText(f"Selected '{job.request.prompt}' ({how}).")
            return
        settings = dict(result.settings)
        self.doc.apply_image(result.image, "Expand", settings)
        h, w = result.image.shape[:2]
        self.panel.status.setText(f"Expanded to {w} x {h}. Undo with Ctrl+Z.")
        self.notify.emit(f"Expanded to {w} x {h}")
