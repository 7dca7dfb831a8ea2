"""The Live workspace: a real-time img2img / txt2img stream beside its source.

The stream is one ``live.stream`` job at BATCH priority: it renders frame after frame on the
service's device thread and, between frames, gives way to any other queued job. Prompt,
strength, seed and model edits go into the job's :class:`LiveControls` and apply to the next
frame; switching to another model restarts the stream on it. Frames come from a
:class:`~studio.ui.workspaces.live.sources.FrameSource` (the Canvas, a webcam, a screen region,
an image or a video file; ``latest()`` is called on the device thread), so tests drive the
workspace with any source (``source_actions.py``). A source that stops (camera unplugged) stops
the stream with a message; the workspace itself keeps running. Each frame also goes to the
recording and the virtual camera when they are on (``record_actions.py``).

Leaving the workspace (another page, "Send to Canvas", a minimised window) pauses the stream
and turns the camera off; coming back resumes both. The status shows only the newest frame:
the service collapses a stream's progress to the newest update when the GUI falls behind, and
nothing here queues frames. Saving a frozen frame runs on the I/O workers, through a temporary
file that replaces the target only once written. The frozen frame shows small under the
output with its buttons (``frozen_view.py``); File > Open / Export, F and Ctrl+R come through
``menu_actions.py``; the screen region is dragged out on the screen (``region_overlay.py``);
``settings_reuse.py`` takes a gallery entry's settings back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from studio.pipelines.live.jobs import LiveStreamRequest
from studio.pipelines.live.session import LiveControls
from studio.pipelines.prompt_filter import blocked_word
from studio.services.jobs import Priority
from studio.ui.widgets.icons import set_icon
from studio.ui.widgets.image_view import ImageView
from studio.ui.workspaces.live.frozen import FrozenFrame
from studio.ui.workspaces.live.frozen_view import FrozenStrip
from studio.ui.workspaces.live.menu_actions import LiveActions
from studio.ui.workspaces.live.model_picker import how_to_get
from studio.ui.workspaces.live.output_control import OutputControl
from studio.ui.workspaces.live.panel import FrameReadout, LivePanel, heading
from studio.ui.workspaces.live.record_actions import LiveRecordActions
from studio.ui.workspaces.live.settings_reuse import LiveSettingsReuse
from studio.ui.workspaces.live.source_actions import LiveSources
from studio.ui.workspaces.live.sources import FrameSource

__all__ = ["LiveWorkspace"]


class LiveWorkspace(LiveActions, LiveSources, LiveRecordActions, LiveSettingsReuse, QWidget):
    """Source, model, prompt and controls on the left; the generated stream on the right."""

    send_to_canvas = Signal(object)  # a PIL image of the frozen frame
    actions_changed = Signal()  # the menus contract (studio.ui.shell.workspace_actions)
    notify = Signal(str)
    opened_file = Signal(str)

    def __init__(self, service: Any, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.store = service, store
        self.source: FrameSource | None = None
        self.canvas_provider: Callable[[], Any] | None = None
        self.controls = LiveControls()
        self.job_id: str | None = None
        self.last_image: Any = None
        self.last_frame: Any = None  # the latest rendered LiveFrame (written on its thread)
        self.skipped_frames = 0  # unchanged inputs the similarity filter skipped
        self.frozen = FrozenFrame(self, store)
        self.export_dir: Path | None = None  # where the last frame was saved (File > Export)
        self._resume_on_show = False
        self.readout = FrameReadout()
        self._source_version = -1
        self._prompt_refused = False

        self.outputs = OutputControl(store, self)
        self.panel = LivePanel(store, self.controls)
        self.output_view = ImageView("Press Start")
        self.frozen_view = FrozenStrip()
        output = QVBoxLayout()
        output.addWidget(heading("Output"))
        output.addWidget(self.output_view, 1)
        output.addWidget(self.frozen_view)
        layout = QHBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addLayout(output, 2)

        self._preview_timer = QTimer(self, interval=100, timeout=self._refresh_preview)
        self._preview_timer.start()
        self._outputs_timer = QTimer(self, interval=250, timeout=self._watch_outputs)

        self.panel.prompt.textChanged.connect(self._prompt_changed)
        self.panel.strength.valueChanged.connect(self._strength_changed)
        self.panel.seed.valueChanged.connect(lambda v: self.controls.update(seed=int(v)))
        self.panel.speed.currentIndexChanged.connect(
            lambda _i: self.controls.update(optimise=self.panel.speed.currentData())
        )
        self.panel.frame_size.currentIndexChanged.connect(self._size_changed)
        self.panel.model.activated.connect(lambda _i: self._models_changed())
        self.panel.model_picker.get_requested.connect(self._get_model)
        self.panel.more.refused.connect(self._show_error)
        self.panel.vae.activated.connect(lambda _i: self._models_changed())
        self.panel.source_kind.activated.connect(self._source_chosen)
        self.panel.start_button.clicked.connect(lambda: self.toggle())
        self.panel.freeze_button.clicked.connect(lambda: self.freeze())
        self.panel.record_button.clicked.connect(lambda: self.toggle_recording())
        self.panel.camera_button.clicked.connect(lambda: self._camera_clicked())
        record_key = QShortcut(QKeySequence("Ctrl+R"), self)
        record_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        record_key.activated.connect(lambda: self.toggle_recording())
        self.outputs.saved.connect(self._on_recording_saved)
        self.outputs.failed.connect(self._on_recording_failed)
        self.frozen_view.save_button.clicked.connect(lambda: self.save_frozen_as())
        self.frozen_view.canvas_button.clicked.connect(lambda: self._send_to_canvas())
        freeze_key = QShortcut(QKeySequence(Qt.Key.Key_F), self)
        freeze_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        freeze_key.activated.connect(lambda: self.freeze())
        self.frozen.saved.connect(self._on_saved)
        self.frozen.failed.connect(self._on_save_failed)
        service.job_progress.connect(self._on_progress)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_ended)
        service.job_finished.connect(lambda job, _result: self._on_ended(job))

    # -- controls --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job_id is not None

    def _prompt_changed(self, text: str) -> None:
        term = blocked_word(text)  # the one filter Fill, Headshots and the stream apply
        if term is not None:
            # Keep streaming with the last accepted prompt rather than failing the stream.
            self._prompt_refused = True
            then = (
                "The stream keeps the previous prompt until you change it."
                if self.running
                else "Change the prompt to start."
            )
            self._show_error(
                f"The prompt was refused by the content filter (it mentions '{term}'). {then}"
            )
            return
        if self._prompt_refused:
            self._prompt_refused = False
            self.panel.error.clear()
        self.controls.update(prompt=text)

    def _strength_changed(self, value: int) -> None:
        self.panel.strength_label.setText(f"{value / 100:.2f}")
        self.controls.update(strength=value / 100)

    def _size_changed(self) -> None:
        side = int(self.panel.frame_size.currentData())
        self.controls.update(width=side, height=side)

    def _models_changed(self) -> None:
        from studio.pipelines.live.models import live_model, vae_for

        picker = self.panel.model_picker
        picker.refresh()  # a model downloaded or deleted since the list was built
        model_id, vae_id = picker.current_id(), self.panel.vae.currentData()
        vae = vae_for(live_model(model_id), vae_id)
        needed = [picker.missing()] + [vae] if vae else [picker.missing()]
        missing = [m for m in needed if m and not self.store.is_installed(m)]
        if missing and self.running:
            # Keep the stream on the models it has rather than stopping it.
            name = self.store.catalogue.get(missing[0]).name
            self._show_error(
                f"{name} is not installed: download it in Tools > Models. "
                "The stream keeps using the current model."
            )
            settings = self.controls.get()
            self.panel.model.setCurrentIndex(max(0, self.panel.model.findData(settings.model_id)))
            self.panel.vae.setCurrentIndex(max(0, self.panel.vae.findData(settings.vae_id)))
            picker.refresh()
            return
        if missing and missing[0] != picker.missing():  # the note under the list says the rest
            self._show_error(how_to_get(self.store.catalogue.get(missing[0])))
        else:
            self.panel.error.clear()
        switched = model_id != self.controls.get().model_id
        self.panel.more.set_model(model_id)
        low, high = live_model(model_id).sizes
        moved = self.panel.limit_sizes(low, high)  # updates the controls through the combo
        name = self.store.catalogue.get(model_id).name
        sized = f"{name} works best at {low}-{high} px: the size is now {moved} x {moved}."
        self.controls.update(model_id=model_id, vae_id=vae_id)
        if self.running and switched:
            self.restart(f"Switching to {name}: loading it..." + (f" {sized}" if moved else ""))
        elif moved:
            self.panel.status.setText(sized)

    def _get_model(self, model_id: str) -> None:
        """Tools > Models on ``model_id`` (the window's dialog); the command otherwise."""
        open_models = getattr(self.window(), "open_models", None)
        if callable(open_models):
            open_models(model_id)
        else:
            self._show_error(how_to_get(self.store.catalogue.get(model_id)))

    def _show_error(self, message: str) -> None:
        self.panel.error.setText(message)

    # -- stream ----------------------------------------------------------------------------
    def toggle(self) -> None:
        self.stop() if self.running else self.start()

    def start(self) -> None:
        if self.running:
            return
        self.panel.error.clear()
        self._prompt_refused = False
        side = int(self.panel.frame_size.currentData())
        self.controls.update(
            prompt=self.panel.prompt.text(),
            strength=self.panel.strength.value() / 100,
            seed=self.panel.seed.value(),
            width=side,
            height=side,
            model_id=self.panel.model.currentData() or "sd-turbo",
            vae_id=self.panel.vae.currentData(),
            optimise=self.panel.speed.currentData(),
            **self.panel.more.values(),
        )
        request = LiveStreamRequest(
            controls=self.controls,
            source=self.source.latest if self.source is not None else None,
            on_frame=self._remember_frame,
        )
        job = self.service.submit("live.stream", request, priority=Priority.BATCH, label="Live")
        self.job_id = job.id
        self.readout.clear()
        self.last_frame, self.skipped_frames = None, 0
        self.panel.start_button.setText("Stop")
        set_icon(self.panel.start_button, "mdi6.stop")
        self.panel.status.setText("Starting...")

    def _remember_frame(self, frame: Any) -> None:  # device thread: one atomic assignment
        self.outputs.on_frame(frame)  # the recording and the virtual camera, when on
        if frame.skipped:
            self.skipped_frames += 1
        else:
            self.last_frame = frame

    def stop(self) -> None:
        """Cancel the stream (it ends at its next frame) and finish a recording; safe when
        not running."""
        if self.job_id is not None:
            self.service.cancel(self.job_id)
        self._stopped()

    def restart(self, status: str) -> None:
        """A new stream on the current source and model; a recording goes on through it."""
        if self.job_id is not None:
            self.service.cancel(self.job_id)
            self.job_id = None
        self.start()
        self.panel.status.setText(status)

    def _stopped(self) -> None:
        self.stop_recording()  # the file so far is finished and kept
        self.job_id = None
        self.panel.start_button.setText("Start")
        set_icon(self.panel.start_button, "mdi6.play")
        self.panel.status.setText("Stopped")

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - leaving the workspace pauses it
        # The device and the camera are free for the other pages; a stream that ran comes
        # back when the user does (the stream itself cannot outlive its job).
        self._resume_on_show = self._resume_on_show or self.running
        self.stop()
        if self._resume_on_show:
            self.panel.status.setText("Paused while Live is not shown; it resumes when you return.")
        if self.source is not None:
            self.source.stop()  # e.g. turn the webcam off
        super().hideEvent(event)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        self.panel.model_picker.refresh()  # models may have come or gone meanwhile
        if self.source is not None and self.source.error is None:
            self.source.start()
        super().showEvent(event)
        if self._resume_on_show:
            self._resume_on_show = False
            self.start()
            self.panel.status.setText("Resuming...")

    # -- service signals -------------------------------------------------------------------
    def _on_progress(self, job: Any, update: Any) -> None:
        if job.id != self.job_id:
            return
        if update.preview is None:
            if update.stage.startswith("Loading"):
                self.panel.status.setText("Loading the model...")
            return
        self.readout.tick(time.perf_counter())
        self.last_image = update.preview
        self.output_view.show_image(update.preview)
        self.panel.status.setText(
            self.readout.text(update.done, self.last_frame, self.skipped_frames)
        )
        self.panel.freeze_button.setEnabled(True)

    def _on_failed(self, job: Any, message: str, detail: str) -> None:
        if job.id == self.job_id:
            self._show_error(message)
            self._stopped()

    def _on_ended(self, job: Any) -> None:
        if job.id == self.job_id:
            self._stopped()

    # -- freeze / save / send ------------------------------------------------------------
    def freeze(self) -> None:
        """Keep the current output frame for saving or sending to the Canvas; it shows small
        under the output with what can be done with it."""
        if self.last_image is None:
            return
        self.frozen.freeze(self.last_image, self.controls.get())
        self.frozen_view.show_frame(self.frozen.image, self.frozen.settings)
        self.frozen_view.save_button.setEnabled(not self.frozen.saving)
        self.actions_changed.emit()

    def _send_to_canvas(self) -> None:
        if self.frozen.image is None:
            return
        # A copy: the Canvas edits its own image; the frozen frame stays here for Save.
        self.send_to_canvas.emit(self.frozen.image.copy())
        self.frozen_view.note.setText("Frame sent to the Canvas.")
