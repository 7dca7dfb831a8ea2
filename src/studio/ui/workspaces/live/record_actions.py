"""Live's Record and Virtual camera buttons (mixed into :class:`LiveWorkspace`).

Record starts the stream if needed and records its output into the outputs folder (with the
microphone when "Mic" is ticked); the elapsed time shows beside the buttons. Stop (the same
button, Ctrl+R), stopping the stream, leaving the workspace or quitting finishes the file,
which is moved into place whole and indexed in the gallery, then "Saved to ..." is said.
The virtual camera button opens the system's virtual camera; where there is none, a box says
how to enable one on this system.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from studio.core.errors import BadInput
from studio.ui.widgets.icons import set_icon
from studio.ui.workspaces.live.output_control import OutputControl


def elapsed_text(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"● REC {minutes}:{rest:02d}"


class LiveRecordActions:
    """The workspace supplies ``panel``, ``outputs`` (an :class:`OutputControl`), ``controls``,
    ``running``, ``start``, ``notify``, ``opened_file`` and ``_show_error``."""

    panel: Any
    outputs: OutputControl
    controls: Any
    notify: Any
    opened_file: Any
    camera_box: QMessageBox | None = None

    def toggle_recording(self) -> None:
        if self.outputs.recording:
            self.stop_recording()
            return
        if not self.running:
            self.start()
            if not self.running:
                return
        settings = self.frame_settings()
        try:
            target, note = self.outputs.start_recording(settings, self.panel.microphone.isChecked())
        except BadInput as exc:
            self._show_error(exc.user_message)
            return
        self.panel.record_button.setText("Stop rec")
        set_icon(self.panel.record_button, "mdi6.stop-circle")
        self.panel.microphone.setEnabled(False)
        self.panel.elapsed.setText(elapsed_text(0))
        self.panel.elapsed.setToolTip(f"Recording to {target}")
        if note:
            self._show_error(note)
        self._outputs_timer.start()

    def stop_recording(self, *, wait: bool = False) -> None:
        """Finish the recording (nothing happens when none is running)."""
        if not self.outputs.recording:
            return
        self.outputs.stop_recording(wait=wait)
        self.panel.record_button.setText("Record")
        set_icon(self.panel.record_button, "mdi6.record-rec")
        self.panel.microphone.setEnabled(True)
        self.panel.elapsed.setText("Saving…")

    def frame_settings(self) -> dict[str, Any]:
        import dataclasses

        values = dataclasses.asdict(self.controls.get())
        values.pop("blocked_terms", None)
        return {"workspace": "live", **values}

    def can_close(self) -> bool:
        """Quitting: finish a recording before the window goes (never lose the file)."""
        self.stop_recording(wait=True)
        self.outputs.join()
        return True

    def _watch_outputs(self) -> None:
        """Every quarter second while something runs: elapsed time and output failures."""
        outputs = self.outputs
        if outputs.recording:
            self.panel.elapsed.setText(elapsed_text(outputs.elapsed_s()))
            problem = outputs.frame_error or outputs.mic_error()
            if outputs.frame_error:
                self.stop_recording()
            if problem:
                self._show_error(problem)
        if self.panel.camera_button.isChecked() and not outputs.camera_on():
            self.panel.camera_button.setChecked(False)
            self._show_error(outputs.outputs.camera_error or "The virtual camera stopped.")
        if not outputs.recording and not outputs.camera_on():
            self._outputs_timer.stop()

    def _on_recording_saved(self, result: Any) -> None:
        self.panel.elapsed.setText(f"Saved {Path(result.path).name}")
        self.panel.elapsed.setToolTip(str(result.path))
        self.notify.emit(f"Saved to {result.path}")
        self.opened_file.emit(str(result.path))

    def _on_recording_failed(self, message: str) -> None:
        self.panel.elapsed.clear()
        earlier = self.panel.error.text()  # e.g. why the stream stopped: keep it in view
        self._show_error(f"{earlier} {message}" if earlier else message)

    # -- virtual camera ------------------------------------------------------------------
    def _camera_clicked(self) -> None:
        from studio.pipelines.live.virtual_camera import VirtualCameraUnavailable

        button = self.panel.camera_button
        if not button.isChecked():
            self.outputs.stop_camera()
            self.panel.status.setText("Virtual camera off")
            return
        settings = self.controls.get()
        try:
            device = self.outputs.start_camera(settings.width, settings.height)
        except VirtualCameraUnavailable as exc:
            button.setChecked(False)
            self.camera_box = camera_box(self, exc.user_message)
            return
        except BadInput as exc:
            button.setChecked(False)
            self._show_error(exc.user_message)
            return
        self.panel.status.setText(f"Sending the output to the virtual camera {device}")
        self._outputs_timer.start()


def camera_box(parent: Any, message: str) -> QMessageBox:
    """The "no virtual camera" box, with this system's way of enabling one."""
    box = QMessageBox(QMessageBox.Icon.Information, "Virtual camera", message, parent=parent)
    box.setObjectName("virtualCameraBox")
    box.setInformativeText("Then click Virtual camera again.")
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText("&OK")
    box.open()
    return box
