"""Live's part of the menus contract (:mod:`studio.ui.shell.workspace_actions`).

File > Open uses an image or a video file as the source; Export saves the frozen frame into
the folder of the last save (asking the first time) and Export As always asks; both, like the
Save... button, write on the I/O workers (:class:`FrozenFrame`) and end in "Saved to ..."
(``notify``). F freezes the current frame (typed into the prompt, an "f" stays a letter: a text
field takes its own keys); Ctrl+R starts and stops a recording.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from studio.ui.workspaces.live.video_clip import video_extensions, video_filter

FRAME_FORMATS = "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp)"
SHORTCUTS = [
    ("F", "Freeze the current frame"),
    ("Ctrl+R", "Start or stop recording the output"),
    ("Ctrl+O", "Use an image or a video file as the source"),
    ("Ctrl+E", "Save the frozen frame (into the last folder used)"),
    ("Ctrl+Shift+E", "Save the frozen frame as…"),
]


class LiveActions:
    """Mixed into :class:`LiveWorkspace`, which supplies the state, the signals and
    ``use_image`` / ``save_frozen``."""

    frozen: Any
    frozen_view: Any
    panel: Any
    export_dir: Path | None
    notify: Any
    opened_file: Any
    actions_changed: Any
    # and use_image(path) -> bool, use_file(path) -> bool, _show_error(message)

    def action_enabled(self, name: str) -> bool:
        if name == "open":
            return True
        if name in ("export", "export_as"):
            return self.frozen.image is not None and not self.frozen.saving
        return False

    def run_action(self, name: str) -> None:
        if name == "open":
            self.choose_file()
        elif name == "export" and self.export_dir is not None:
            self.save_frozen(self.export_dir / f"live-{time.strftime('%Y%m%d-%H%M%S')}.png")
        elif name in ("export", "export_as"):
            self.save_frozen_as()

    def shortcut_list(self) -> list[tuple[str, str]]:
        return list(SHORTCUTS)

    def open_path(self, path: str | Path) -> bool:
        """Use the image or video at ``path`` as the source; True if it could be read."""
        return bool(self.use_file(str(path)))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Source image or video", "", open_filter())  # type: ignore[arg-type]
        if path:
            self.use_file(path)

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Source image", "", IMAGE_FILTER)  # type: ignore[arg-type]
        if path:
            self.use_image(path)

    def save_frozen_as(self) -> None:
        start = str(self.export_dir / "live.png") if self.export_dir else "live.png"
        path, _ = QFileDialog.getSaveFileName(self, "Save frame", start, FRAME_FORMATS)  # type: ignore[arg-type]
        if path:
            self.save_frozen(path)

    def save_frozen(self, path: str | Path) -> None:
        """Save the frozen frame to ``path`` in the background (see :class:`FrozenFrame`)."""
        target = self.frozen.save(path)
        if target is None:
            self._show_error("Freeze a frame first.")
            return
        self.frozen_view.save_button.setEnabled(False)
        self.panel.error.clear()
        self.frozen_view.note.setText(f"Saving {target.name}...")
        self.actions_changed.emit()

    def _on_saved(self, target: Path) -> None:
        self.export_dir = Path(target).parent
        self.frozen_view.save_button.setEnabled(True)
        self.frozen_view.note.setText(f"Saved {target}")
        self.notify.emit(f"Saved to {target}")
        self.opened_file.emit(str(target))
        self.actions_changed.emit()

    def _on_save_failed(self, message: str) -> None:
        self.frozen_view.save_button.setEnabled(True)
        self.frozen_view.note.clear()
        self._show_error(message)
        self.actions_changed.emit()


def open_filter() -> str:
    """File > Open's filter: images and videos together, then each on its own."""
    videos = " ".join(f"*{ext}" for ext in video_extensions())
    both = f"Images and videos (*.png *.jpg *.jpeg *.webp {videos})"
    return ";;".join((both, IMAGE_FILTER, video_filter()))
