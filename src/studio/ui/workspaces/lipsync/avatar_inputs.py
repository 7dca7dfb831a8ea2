"""Lipsync's avatar: a photo, or a short clip of a person (a video avatar), chosen from a file
dialog, a headshot pack or File > Open, and shown beside its buttons; plus the gallery's "Use
these settings again" (``apply_settings``, see :mod:`studio.ui.shell.workspace_actions`).

A clip is shown by its first frame, with its length under the buttons; the render and the
live talk take it as they take a photo (the pipeline tells them apart by extension). Decoding
a 4K photo or a clip's first frame runs on the I/O workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QFileDialog

from studio.ui.widgets.images import load_thumbnail, to_pixmap
from studio.ui.workspaces.lipsync.menu_actions import PHOTO_SUFFIXES, VIDEO_SUFFIXES
from studio.ui.workspaces.lipsync.pack_picker import PackPicker

AVATAR_SIDE = 160
PHOTO_HINT = "One face, looking at the camera, works best."
AVATAR_FILTER = (
    "Photo or clip ("
    + " ".join(f"*{s}" for s in PHOTO_SUFFIXES + VIDEO_SUFFIXES)
    + ");;Photos ("
    + " ".join(f"*{s}" for s in PHOTO_SUFFIXES)
    + ");;Clips of a person, up to 60 s ("
    + " ".join(f"*{s}" for s in VIDEO_SUFFIXES)
    + ")"
)


def is_clip(path: Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def clip_thumbnail(path: Path, side: int) -> tuple[Any, float]:
    """A clip's first frame fitted into ``side`` px, and its length in seconds (I/O workers)."""
    from PIL import Image

    from studio.pipelines.live.video_source import clip_frames, clip_info

    info = clip_info(path)
    rgb, _t = next(clip_frames(path))
    image = Image.fromarray(rgb)
    image.thumbnail((side * 2, side * 2))
    return image, info.duration_s


class AvatarInputs:
    """Mixed into :class:`LipsyncWorkspace`, which supplies the widgets and state."""

    avatar_path: Path | None
    audio_path: Path | None
    avatar_label: Any
    avatar_hint: Any
    status: Any
    workers: Any
    opened_file: Any
    mouth: Any
    shift: Any
    smoothing: Any
    idle: Any
    packs_root: Any
    # and set_audio(path), _update_buttons()

    def set_avatar(self, path: Path) -> None:
        """Use the photo or clip at ``path``; its preview is decoded on the I/O workers."""
        path = self.avatar_path = Path(path)
        self.avatar_label.clear()
        self.avatar_label.setText("Loading…")
        self.avatar_hint.setText(PHOTO_HINT)
        if is_clip(path):
            self.workers.run(
                lambda: clip_thumbnail(path, AVATAR_SIDE),
                lambda shown: self._show_avatar(path, shown[0], seconds=shown[1]),
                lambda exc: self._show_avatar(path, None, exc),
            )
        else:
            self.workers.run(
                lambda: load_thumbnail(path, AVATAR_SIDE),
                lambda image: self._show_avatar(path, image),
                lambda exc: self._show_avatar(path, None, exc),
            )
        self._update_buttons()  # type: ignore[attr-defined]

    def _show_avatar(
        self,
        path: Path,
        image: Any,
        exc: BaseException | None = None,
        seconds: float | None = None,
    ) -> None:
        if path != self.avatar_path:
            return  # another one was chosen meanwhile
        what = "clip" if is_clip(path) else "photo"
        if image is None:
            self.avatar_label.setText(f"Cannot show this {what}")
            message = getattr(exc, "user_message", None) or f"({exc})"
            self.status.setText(f"The {what} {path.name} could not be read. {message}".strip())
            return
        self.avatar_label.setPixmap(to_pixmap(image, AVATAR_SIDE))
        self.avatar_label.setToolTip(str(path))
        if seconds is not None:
            self.avatar_hint.setText(
                f"Video avatar: a {seconds:.1f} s clip, played forward and back as it talks."
            )
        self.opened_file.emit(str(path))

    def _choose_avatar(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Avatar photo or clip", "", AVATAR_FILTER)  # type: ignore[arg-type]
        if path:
            self.open_path(path)  # type: ignore[attr-defined]

    def choose_from_pack(self) -> None:
        picker = PackPicker(self.packs_root(), self)  # type: ignore[arg-type]
        try:
            chosen = picker.chosen() if picker.exec() == QDialog.DialogCode.Accepted else None
        finally:
            picker.deleteLater()  # one picker per use, not one more child per click
        if chosen is not None:
            self.set_avatar(chosen)

    def apply_settings(self, settings: dict[str, Any]) -> bool:
        """Take a Lipsync gallery entry's avatar (a photo or clip still on disk), speech (when
        still there) and look settings; False when they are not Lipsync's or the avatar is gone."""
        if settings.get("workspace") not in (None, "lipsync") or not settings.get("avatar"):
            return False
        avatar = Path(str(settings["avatar"]))
        if not avatar.is_file():
            self.status.setText(f"The avatar {avatar.name} of that result is no longer there.")
            return False
        try:
            mouth = float(settings.get("mouth_scale", self.mouth.value()))
            shift = int(settings.get("bbox_shift", self.shift.value()))
            smoothing = float(settings.get("smoothing", self.smoothing.value()))
        except (TypeError, ValueError):
            return False
        self.mouth.setValue(mouth)
        self.shift.setValue(shift)
        self.smoothing.setValue(smoothing)
        self.idle.setChecked(bool(settings.get("idle_motion", self.idle.isChecked())))
        self.set_avatar(avatar)
        audio = settings.get("audio")
        if audio and Path(str(audio)).is_file():
            self.set_audio(Path(str(audio)))  # type: ignore[attr-defined]
        return True
