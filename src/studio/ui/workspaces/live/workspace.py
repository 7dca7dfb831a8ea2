"""The Live workspace: a real-time img2img / txt2img stream beside its source.

The stream is one ``live.stream`` job at BATCH priority: it renders frame after frame on the
service's device thread and, between frames, gives way to any other queued job. Prompt,
strength, seed and model edits go into the job's :class:`LiveControls` and apply to the next
frame. Frames come from a :class:`~studio.ui.workspaces.live.sources.FrameSource` (the Canvas,
a webcam, a screen region or an image file; ``latest()`` is called on the device thread), so tests
drive the workspace with any source. A source that stops (camera unplugged) stops the stream
with a message; the workspace itself keeps running.

Leaving the workspace (another page, "Send to Canvas", a minimised window) pauses the stream
and turns the camera off; coming back resumes both. The status shows only the newest frame:
the service collapses a stream's progress to the newest update when the GUI falls behind, and
nothing here queues frames. Saving a frozen frame runs on the I/O workers, through a temporary
file that replaces the target only once written. The frozen frame shows small under the
output with its buttons (``frozen_view.py``); File > Open / Export and F come through
``menu_actions.py``; the screen region is dragged out on the screen (``region_overlay.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import BadInput
from studio.pipelines.live.jobs import LiveStreamRequest
from studio.pipelines.live.session import LiveControls
from studio.pipelines.prompt_filter import blocked_word
from studio.services.jobs import Priority
from studio.ui.widgets.icons import set_icon
from studio.ui.widgets.image_view import ImageView
from studio.ui.workspaces.live.frozen import FrozenFrame
from studio.ui.workspaces.live.frozen_view import FrozenStrip
from studio.ui.workspaces.live.menu_actions import LiveActions
from studio.ui.workspaces.live.panel import FrameReadout, LivePanel, heading
from studio.ui.workspaces.live.source_picker import RegionDialog
from studio.ui.workspaces.live.sources import CameraSource, CanvasSource, FrameSource, ScreenSource

__all__ = ["LiveWorkspace"]


class LiveWorkspace(LiveActions, QWidget):
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

        self.panel = LivePanel(store)
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

        self.panel.prompt.textChanged.connect(self._prompt_changed)
        self.panel.strength.valueChanged.connect(self._strength_changed)
        self.panel.seed.valueChanged.connect(lambda v: self.controls.update(seed=int(v)))
        self.panel.speed.currentIndexChanged.connect(
            lambda _i: self.controls.update(optimise=self.panel.speed.currentData())
        )
        self.panel.frame_size.currentIndexChanged.connect(self._size_changed)
        self.panel.model.activated.connect(self._models_changed)
        self.panel.vae.activated.connect(self._models_changed)
        self.panel.source_kind.activated.connect(self._source_chosen)
        self.panel.start_button.clicked.connect(lambda: self.toggle())
        self.panel.freeze_button.clicked.connect(lambda: self.freeze())
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

    # -- sources ---------------------------------------------------------------------------
    def set_canvas_source(self, provider: Callable[[], Any] | None) -> None:
        """``provider()`` returns the Canvas image (RGB uint8 array, or None when empty)."""
        self.canvas_provider = provider
        self.panel.source_kind.set_canvas_available(provider is not None)

    def use_canvas(self) -> None:
        if self.canvas_provider is None:
            self._show_error("The Canvas is not available as a source.")
            return
        self.set_source(CanvasSource(self.canvas_provider))

    def use_camera(self, device: Any) -> None:
        self.set_source(CameraSource(device))

    def use_screen_region(self, region: QRect, screen: Any = None) -> None:
        self.set_source(ScreenSource(region, screen))

    def use_image(self, path: str) -> bool:
        """Use the image file at ``path`` as the source; False (and a message) if unreadable."""
        from studio.pipelines.live.frames import to_rgb_array

        try:
            self.set_source(FrameSource(to_rgb_array(path), name="Image file"))
        except BadInput as exc:
            self._show_error(exc.user_message)
            return False
        self.opened_file.emit(str(path))
        return True

    def set_source(self, source: FrameSource | None) -> None:
        """Use ``source`` for img2img (``None``: txt2img); a running stream restarts on it."""
        old, self.source = self.source, source
        if old is not None:
            old.failed.disconnect(self._source_failed)
            old.stop()  # no deleteLater: a stopping stream may still read it on its thread
        self._source_version = -1
        self.panel.source_view.show_text("Waiting for the source..." if source else "No source")
        if source is not None:
            source.failed.connect(self._source_failed)
            source.start()
        self._refresh_preview()
        self._select_current_source()
        if self.running:  # the stream's source is fixed per job: restart on the new one
            self.stop()
            self.start()

    def _source_chosen(self) -> None:
        kind, device = self.panel.source_kind.current()
        self.panel.error.clear()
        if kind == "none":
            self.set_source(None)
        elif kind == "canvas":
            self.use_canvas()
        elif kind == "camera":
            self.use_camera(device)
        elif kind == "screen":
            self.choose_screen_region()
        elif kind == "file":
            self.choose_image()
        self._select_current_source()

    def choose_screen_region(self) -> None:
        """The region dialog: drag on a screen, or type the numbers (the last region again)."""
        last = self.source if isinstance(self.source, ScreenSource) else None
        # The screen under the page, found by position: the wrapper QWidget.screen() returns
        # dies with this widget in PySide6, and the screen source outlives it.
        here = QGuiApplication.screenAt(self.mapToGlobal(self.rect().center()))
        dialog = RegionDialog(
            screen=last.screen if last else here,
            region=last.region if last else None,
            parent=self,
        )
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self.use_screen_region(dialog.region(), dialog.target_screen)
        finally:
            dialog.deleteLater()  # one dialog per use, not one more child per pick

    def _select_current_source(self) -> None:
        """Point the list at the source in use (a cancelled dialog keeps the old one)."""
        kinds = {CanvasSource: "canvas", CameraSource: "camera", ScreenSource: "screen"}
        source = self.source
        kind = "none" if source is None else kinds.get(type(source), "file")
        self.panel.source_kind.select(kind, getattr(source, "device", None))

    def _source_failed(self, message: str) -> None:
        self._show_error(message)
        was_running = self.running
        self.stop()
        self.set_source(None)
        self.panel.source_kind.refresh()
        self.panel.source_view.show_text("Source stopped")
        if was_running:
            self.panel.status.setText("Stopped: the source stopped")

    def _refresh_preview(self) -> None:
        source = self.source
        if source is None or source.error is not None or source.version == self._source_version:
            if isinstance(source, CanvasSource) and source.empty:
                self.panel.source_view.show_text("The Canvas is empty: open or paint an image")
            return
        self._source_version = source.version
        try:
            frame = source.latest()
        except BadInput:
            return
        if frame is not None:
            self.panel.source_view.show_image(frame)

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
        model_id, vae_id = self.panel.model.currentData(), self.panel.vae.currentData()
        missing = [m for m in (model_id, vae_id) if m and not self.store.is_installed(m)]
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
            return
        if missing:
            name = self.store.catalogue.get(missing[0]).name
            self._show_error(f"{name} is not installed yet: download it in Tools > Models.")
        else:
            self.panel.error.clear()
        self.controls.update(model_id=model_id, vae_id=vae_id)
        if self.running:
            self.panel.status.setText("Switching model...")

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
        if frame.skipped:
            self.skipped_frames += 1
        else:
            self.last_frame = frame

    def stop(self) -> None:
        """Cancel the stream (it ends at its next frame); safe when not running."""
        if self.job_id is not None:
            self.service.cancel(self.job_id)
        self._stopped()

    def _stopped(self) -> None:
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
