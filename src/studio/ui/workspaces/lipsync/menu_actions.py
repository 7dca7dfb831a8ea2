"""Lipsync's part of the menus contract (:mod:`studio.ui.shell.workspace_actions`).

File > Open takes a photo or a clip (the avatar) or a speech file, told apart by extension;
Export saves the finished video into the folder of the last save (asking for a name the first
time) and Export As always asks. Saving (here, for the Save as... button too) copies on the
I/O workers through a temporary file, and is recorded in the gallery; a finished save says
"Saved to ..." (``notify``). Space plays or pauses: the video once there is one, else the
speech (a focused button keeps Space).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from studio.core.errors import StudioError

log = logging.getLogger(__name__)

PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
# video avatars: video_avatar.VIDEO_AVATAR_EXTENSIONS (not imported: it loads numpy at start-up)
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm")
AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".ogg", ".flac")
OPEN_FILTER = (
    "Photo, clip or speech ("
    + " ".join(f"*{s}" for s in PHOTO_SUFFIXES + VIDEO_SUFFIXES + AUDIO_SUFFIXES)
    + ");;Photos ("
    + " ".join(f"*{s}" for s in PHOTO_SUFFIXES)
    + ");;Clips of a person ("
    + " ".join(f"*{s}" for s in VIDEO_SUFFIXES)
    + ");;Speech ("
    + " ".join(f"*{s}" for s in AUDIO_SUFFIXES)
    + ")"
)
SHORTCUTS = [
    ("Space", "Play / pause the video (the speech before there is one); on a button, presses it"),
    ("Left / Right", "On a player's slider: back / forward 5 s"),
    ("Ctrl+O", "Open a photo, a clip of a person or a speech file"),
    ("Ctrl+E", "Save the video (into the last folder used)"),
]


class LipsyncActions:
    """Mixed into :class:`LipsyncWorkspace`, which supplies the state and the signals."""

    result_path: Path | None
    result_settings: dict[str, Any]
    store: Any
    job_id: str | None
    saving: bool
    export_dir: Path | None
    avatar_path: Path | None
    audio_path: Path | None
    status: Any
    workers: Any
    notify: Any
    opened_file: Any
    # and set_avatar(path), set_audio(path), _update_buttons()

    def action_enabled(self, name: str) -> bool:
        """What the window's File menu can do here now (see the module docstring)."""
        if name == "open":
            return True
        if name in ("export", "export_as"):
            return self.result_path is not None and self.job_id is None and not self.saving
        return False

    def run_action(self, name: str) -> None:
        if name == "open":
            self.choose_file()
        elif name == "export" and self.export_dir is not None and self.result_path is not None:
            self.save_result(self.export_dir / self.result_path.name)
        elif name in ("export", "export_as"):
            self.save_as()

    def shortcut_list(self) -> list[tuple[str, str]]:
        return list(SHORTCUTS)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a photo, clip or speech", "", OPEN_FILTER)  # type: ignore[arg-type]
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Use ``path`` as the avatar (a photo or clip) or the speech (an audio file); True if
        taken.
        The photo and the speech are then checked in the background, as when chosen."""
        path = Path(path)
        suffix = path.suffix.lower()
        if not path.is_file():
            self.status.setText(f"{path.name} is no longer there.")
            return False
        if suffix in PHOTO_SUFFIXES + VIDEO_SUFFIXES:
            self.set_avatar(path)
        elif suffix in AUDIO_SUFFIXES:
            self.set_audio(path)
        else:
            known = PHOTO_SUFFIXES + VIDEO_SUFFIXES + AUDIO_SUFFIXES
            kinds = ", ".join(s[1:].upper() for s in known)
            self.status.setText(
                f"{path.name} is neither a photo nor a speech file, nor a clip ({kinds})."
            )
            return False
        return True  # opened_file follows once the photo or speech has been read

    def save_as(self) -> None:
        start = str(self.export_dir / "talking-head.mp4") if self.export_dir else "talking-head.mp4"
        path, _ = QFileDialog.getSaveFileName(self, "Save video", start, "MP4 (*.mp4)")  # type: ignore[arg-type]
        if path:
            self.save_result(Path(path))

    def save_result(self, target: Path) -> None:
        """Copy the finished video to ``target`` (``.mp4`` added when missing) on the I/O
        workers, through a temporary file: a failed copy leaves ``target`` as it was. The
        status line says when it is saved, or why not."""
        from studio.ui.workspaces.lipsync.files import copy_atomic, same_file

        if self.result_path is None:
            self.status.setText("Nothing to save yet: generate a video first.")
            return
        target = Path(target)
        if target.suffix.lower() != ".mp4":
            target = target.with_name(target.name + ".mp4")
        if any(p is not None and same_file(target, p) for p in (self.avatar_path, self.audio_path)):
            self.status.setText(
                f"{target.name} is the avatar or speech file: choose another name so it is kept."
            )
            return
        self.saving = True
        self._update_buttons()
        self.status.setText(f"Saving {target.name}…")
        source, settings, store = self.result_path, dict(self.result_settings), self.store

        def copy() -> Path:
            from studio.ui.workspaces.lipsync.recording import record_video

            saved = copy_atomic(source, target)
            record_video("export", saved, {**settings, "render": str(source)}, store)
            return saved

        self.workers.run(copy, self._on_saved, self._on_save_failed)

    def _on_saved(self, target: Path) -> None:
        self.saving = False
        self.export_dir = Path(target).parent
        self.status.setText(f"Saved {target}")
        self.notify.emit(f"Saved to {target}")
        self.opened_file.emit(str(target))
        self._update_buttons()

    def _on_save_failed(self, exc: BaseException) -> None:
        self.saving = False
        if isinstance(exc, StudioError):
            self.status.setText(exc.user_message)
        else:
            log.error("saving the video failed", exc_info=exc)
            self.status.setText(f"The video could not be saved ({exc}).")
        self._update_buttons()
