"""Live's source handling (mixed into :class:`LiveWorkspace`): the source list's choices
(Canvas, camera, screen region, image or video file), switching sources while streaming,
a source that stops, and the source preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog

from studio.core.errors import BadInput
from studio.ui.workspaces.live.source_picker import RegionDialog
from studio.ui.workspaces.live.sources import CameraSource, CanvasSource, FrameSource, ScreenSource
from studio.ui.workspaces.live.video_clip import VideoClipSource, is_video, video_filter


class LiveSources:
    """The workspace supplies ``panel``, ``source``, ``canvas_provider``, ``running``,
    ``start``/``stop``, ``opened_file`` and ``_show_error``."""

    panel: Any
    source: FrameSource | None
    canvas_provider: Callable[[], Any] | None
    opened_file: Any
    _source_version: int

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

    def use_video(self, path: str | Path) -> bool:
        """Play the clip at ``path`` through the loop; False (and a message) if unreadable."""
        try:
            source = VideoClipSource(path)
        except BadInput as exc:
            self._show_error(exc.user_message)
            return False
        self.set_source(source)
        self.panel.status.setText(source.describe())
        self.opened_file.emit(str(path))
        return True

    def use_file(self, path: str | Path) -> bool:
        """An image or a video file as the source, by its extension."""
        return self.use_video(path) if is_video(path) else self.use_image(str(path))

    def choose_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Source video", "", video_filter())  # type: ignore[arg-type]
        if path:
            self.use_video(path)

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
            self.restart("Switching source...")

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
        elif kind == "video":
            self.choose_video()
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
        kinds[VideoClipSource] = "video"
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
            # a clip decodes on the device thread only: the preview shows its newest frame
            frame = source.shown() if isinstance(source, VideoClipSource) else source.latest()
        except BadInput:
            return
        if frame is not None:
            self.panel.source_view.show_image(frame)
