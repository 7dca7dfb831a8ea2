"""Using a result's settings again: from the Gallery, and from an exported image dropped on
the window (its settings read back with :func:`studio.core.recall.read_settings`).

A workspace takes the settings through its optional ``apply_settings(settings) -> bool``
(:mod:`~studio.ui.shell.workspace_actions`); one without it is named in a box.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from studio.core.errors import StudioError
from studio.ui.widgets.worker import IoWorkers

if TYPE_CHECKING:
    from studio.ui.dialogs.gallery import GalleryDialog
    from studio.ui.shell.main_window import MainWindow

log = logging.getLogger(__name__)

DROP_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")  # what Studio exports with settings
PROMPT_CHARS = 60  # of the prompt quoted in the question


def settings_workspace(settings: dict[str, Any], known: list[str]) -> str:
    """The workspace that made ``settings``: its ``workspace`` key, else the first part of
    its job ``kind`` ("canvas.fill"), else the Canvas (whose exports name neither)."""
    for candidate in (settings.get("workspace"), str(settings.get("kind", "")).partition(".")[0]):
        if isinstance(candidate, str) and candidate in known:
            return candidate
    return "canvas"


def info_box(parent: QWidget, text: str, name: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, "Studio", text, parent=parent)
    box.setObjectName(name)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText("&OK")
    box.open()
    return box


def reuse_settings(window: MainWindow, key: str, settings: dict[str, Any]) -> bool:
    """Give the workspace ``key`` these settings (its ``apply_settings``) and show it; a box
    says why when it cannot take them. True when they were applied."""
    page = window.workspaces.get(key)
    title = window.workspace_title(key)
    apply = getattr(page, "apply_settings", None)
    if page is None or not callable(apply):
        window.reuse_box = info_box(
            window, f"{title} cannot reuse these settings yet.", "reuseSettingsBox"
        )
        return False
    try:
        applied = bool(apply(dict(settings)))
    except StudioError as exc:
        log.warning("%s refused settings: %s", key, exc.user_message)
        applied = False
    if not applied:
        window.reuse_box = info_box(
            window, f"{title} could not use these settings.", "reuseSettingsBox"
        )
        return False
    window.show_workspace(key)
    window.show_notice(f"Settings applied in {title}.")
    window.settings_reused.emit(key, dict(settings))
    return True


def open_gallery_dialog(
    window: MainWindow, titles: dict[str, str], shown: GalleryDialog | None = None
) -> GalleryDialog | None:
    """The Gallery over the window's index, showing the current workspace's tab; its
    requests go to the window. ``shown``, when still open, is brought to the front with its
    list read again instead of opening a second one. None (and a box saying why) when the
    index cannot be opened."""
    import shiboken6

    from studio.core.gallery import Gallery
    from studio.ui.dialogs.gallery import GalleryDialog
    from studio.ui.shell.errors import show_error

    if shown is not None and shiboken6.isValid(shown) and shown.isVisible():
        shown.refresh()  # results finished since it was opened
        shown.raise_()
        shown.activateWindow()
        return shown
    try:
        gallery = Gallery(window.gallery_path)
    except StudioError as exc:
        window.last_error_box = show_error(window, exc.user_message, exc.detail)
        return None
    dialog = GalleryDialog(gallery, dict(titles), window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.destroyed.connect(lambda _obj=None: gallery.close())
    dialog.reuse_requested.connect(window.reuse_settings)
    dialog.open_in_canvas_requested.connect(lambda path: window.send_image_to_canvas(Path(path)))
    current = window.current_workspace()
    dialog.show_workspace(next((k for k, p in window.workspaces.items() if p is current), None))
    dialog.show()
    return dialog


def dropped_images(mime: QMimeData | None) -> list[Path]:
    """The local PNG/JPEG/WebP files in a drag's data."""
    if mime is None or not mime.hasUrls():
        return []
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in DROP_SUFFIXES]


class ImageDrops(QObject):
    """A dropped image: its settings read on an I/O worker; when Studio wrote some, a box
    (``box`` while open) offers to use them again or to open the image in the Canvas; an
    image without settings opens in the Canvas at once."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.workers = IoWorkers(self, max_threads=1)
        self.box: QMessageBox | None = None

    def drop(self, path: Path) -> None:
        from studio.core.recall import read_settings

        self.workers.run(
            lambda: read_settings(path),
            lambda settings: self._found(path, settings),
            lambda exc: self._not_found(path, exc),
        )

    def _found(self, path: Path, settings: dict[str, Any]) -> None:
        window = self.window
        key = settings_workspace(settings, list(window.workspaces))
        title = window.workspace_title(key)
        facts = []
        prompt = str(settings.get("prompt") or "").strip()
        if prompt:
            short = prompt if len(prompt) <= PROMPT_CHARS else prompt[: PROMPT_CHARS - 1] + "…"
            facts.append(f"prompt “{short}”")
        if settings.get("seed") is not None:
            facts.append(f"seed {settings['seed']}")
        made = f" ({', '.join(facts)})" if facts else ""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Studio settings found",
            f"'{path.name}' was made in {title}{made}.\n\nUse these settings again in {title}, "
            "or open the image in the Canvas?",
            parent=window,
        )
        box.setObjectName("droppedSettingsBox")
        self.reuse_button = box.addButton("&Use Settings Again", QMessageBox.ButtonRole.AcceptRole)
        self.open_button = box.addButton("&Open in Canvas", QMessageBox.ButtonRole.ActionRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        cancel.setText("&Cancel")
        box.setDefaultButton(self.reuse_button)

        def answered(_result: int) -> None:
            clicked = box.clickedButton()
            self.box = None
            if clicked is self.reuse_button:
                reuse_settings(window, key, settings)
            elif clicked is self.open_button:
                window.send_image_to_canvas(path)

        box.finished.connect(answered)
        box.open()
        self.box = box

    def _not_found(self, path: Path, exc: BaseException) -> None:
        from studio.core.recall import NoStudioSettings

        if isinstance(exc, NoStudioSettings):
            self.window.send_image_to_canvas(path)  # a plain image: edit it
            return
        from studio.ui.shell.errors import show_error

        if isinstance(exc, StudioError):
            self.window.open_problems_box = show_error(self.window, exc.user_message)
        else:
            log.error("reading %s failed", path, exc_info=exc)
            self.window.open_problems_box = show_error(
                self.window, f"'{path.name}' could not be read: {exc}"
            )
