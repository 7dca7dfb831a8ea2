"""The Canvas workspace: open a photo, select, then remove / fill / cut out / upscale.

Widgets never run models: every action is a job on the inference service (a click is an
INTERACTIVE ``canvas.segment`` job, so it overtakes a running fill), bound back by job id.
Results become undoable edits of the :class:`CanvasDocument`; unsaved work is autosaved and
``can_close()`` asks before anything is thrown away.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QIODevice, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QColorDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core import autosave
from studio.core.errors import StudioError
from studio.ui.shell.errors import show_error
from studio.ui.widgets.images import thumbnail_icon
from studio.ui.workspaces.canvas.controller import CanvasController
from studio.ui.workspaces.canvas.document import CanvasDocument, ImageCommand
from studio.ui.workspaces.canvas.panel import ToolPanel
from studio.ui.workspaces.canvas.view import CanvasView

__all__ = ["CanvasWorkspace"]

log = logging.getLogger(__name__)

OPEN_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff);;All files (*)"
EXPORT_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"
AUTOSAVE_DELAY_MS = 2000
THUMB = 64


class CanvasWorkspace(QWidget):
    """Image view in the middle, history strip below, tool panel on the right."""

    def __init__(self, service: Any, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.store = service, store
        self.doc = CanvasDocument(self)
        self.view = CanvasView()
        self.panel = ToolPanel()
        self.controller = CanvasController(self.doc, self.view, self.panel, service, self)
        self.last_error_box: QMessageBox | None = None
        self.close_box: QMessageBox | None = None
        self.export_quality = 92

        self.history = QListWidget()
        self.history.setObjectName("historyStrip")
        self.history.setViewMode(QListView.ViewMode.IconMode)
        self.history.setFlow(QListView.Flow.LeftToRight)
        self.history.setWrapping(False)
        self.history.setIconSize(QSize(THUMB, THUMB))
        self.history.setFixedHeight(THUMB + 32)
        self.history.setMovement(QListView.Movement.Static)

        self.restore_bar = QFrame()
        self.restore_bar.setObjectName("restoreBar")
        self.restore_bar.setStyleSheet(
            "#restoreBar { background: #fff4d6; border-radius: 4px; } QLabel { color: #5a4500; }"
        )
        self.restore_label = QLabel()
        self.restore_button = QPushButton("Restore")
        self.discard_restore_button = QPushButton("Discard")
        bar = QHBoxLayout(self.restore_bar)
        bar.addWidget(self.restore_label, 1)
        bar.addWidget(self.restore_button)
        bar.addWidget(self.discard_restore_button)
        self.restore_bar.setVisible(False)

        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.view, 1)
        centre_layout.addWidget(self.history)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.panel.sizeHint().width() + 24)
        splitter = QSplitter()
        splitter.addWidget(centre)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.restore_bar)
        layout.addWidget(splitter, 1)

        self._autosave_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._connect()
        self._pending_restore = autosave.load()
        if self._pending_restore is not None:
            stamp = time.strftime("%d %b %H:%M", time.localtime(self._pending_restore.saved_at))
            name = self._pending_restore.source_name or "an image"
            self.restore_label.setText(f"Unsaved work on {name} from {stamp} was recovered.")
            self.restore_bar.setVisible(True)
        self._refresh_enabled()

    def _connect(self) -> None:
        p, v, d = self.panel, self.view, self.doc
        p.open_button.clicked.connect(self.open_dialog)
        p.export_button.clicked.connect(self.export_dialog)
        p.fit_button.clicked.connect(v.fit)
        p.actual_button.clicked.connect(v.actual_size)
        p.compare.valueChanged.connect(lambda value: v.set_split(value / 100))
        p.colour_button.clicked.connect(self._pick_colour)
        for key, button in p.tool_buttons.items():
            button.toggled.connect(lambda on, k=key: on and self.controller.set_tool(k))
        p.brush_size.valueChanged.connect(lambda value: setattr(v, "brush_size", value))
        v.files_dropped.connect(lambda paths: self.open_path(paths[0]))
        v.image_dropped.connect(self.open_qimage)
        self.controller.state_changed.connect(self._refresh_enabled)
        d.image_changed.connect(self._on_image_changed)
        d.selection_changed.connect(self._on_selection_changed)
        d.stack.indexChanged.connect(self._on_stack_changed)
        d.stack.cleanChanged.connect(self._on_stack_changed)
        self.history.itemClicked.connect(self._history_clicked)
        self.restore_button.clicked.connect(self.restore_autosave)
        self.discard_restore_button.clicked.connect(self.discard_autosave)
        for keys, slot in (
            (QKeySequence.StandardKey.Undo, d.stack.undo),
            (QKeySequence.StandardKey.Redo, d.stack.redo),
            (QKeySequence.StandardKey.Paste, self.paste),
            (QKeySequence.StandardKey.Open, self.open_dialog),
            (QKeySequence.StandardKey.Save, self.export_dialog),
        ):
            QShortcut(keys, self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # ---- opening -------------------------------------------------------------------------------
    def current_image(self) -> Any:
        """The image being edited as an RGB uint8 array (a copy), or None (Live streams it)."""
        return self.doc.rgb().copy() if self.doc.has_image else None

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a photo", "", OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        from studio.core.imageio import load_image

        return self._open(lambda: load_image(path), Path(path).name)

    def open_bytes(self, data: bytes, name: str = "pasted image") -> bool:
        from studio.core.imageio import load_image

        return self._open(lambda: load_image(bytes(data)), name)

    def open_qimage(self, image: QImage, name: str = "pasted image") -> bool:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # through imageio like any file: one set of checks
        return self.open_bytes(bytes(buffer.data()), name)

    def paste(self) -> bool:
        data = QGuiApplication.clipboard().mimeData()
        if data is not None and data.hasUrls():
            local = [u.toLocalFile() for u in data.urls() if u.isLocalFile()]
            if local:
                return self.open_path(local[0])
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.panel.status.setText("The clipboard holds no image.")
            return False
        return self.open_qimage(image)

    def _open(self, load: Any, name: str) -> bool:
        import numpy as np

        if self.doc.dirty and not self.confirm_discard("open another image"):
            return False
        try:
            image = np.asarray(load(), dtype=np.uint8)
        except StudioError as exc:
            self.last_error_box = show_error(self, exc.user_message, exc.detail)
            return False
        self.controller.cancel_action()
        self.doc.open(image, name)
        autosave.clear()
        self.panel.status.setText(
            f"{name}: {image.shape[1]} x {image.shape[0]}. Click the object to select it."
        )
        return True

    # ---- export ----------------------------------------------------------------------------------
    def export_dialog(self) -> bool:
        if not self.doc.has_image:
            return False
        stem = Path(self.doc.source_name or "image").stem
        path, _ = QFileDialog.getSaveFileName(self, "Export", f"{stem}-edited.png", EXPORT_FILTER)
        return bool(path) and self.export_to(path)

    def export_to(self, path: str | Path) -> bool:
        """Write the image with the edit settings in its metadata; marks the work as saved."""
        from studio.core.export import export_image

        try:
            export_image(self.doc.image, path, self.doc.metadata(), self.export_quality)
        except StudioError as exc:
            self.last_error_box = show_error(self, exc.user_message, exc.detail)
            return False
        self.doc.stack.setClean()
        autosave.clear()
        self.panel.status.setText(f"Exported {Path(path).name}.")
        return True

    # ---- closing, autosave ---------------------------------------------------------------------
    def confirm_discard(self, doing: str = "close") -> bool:
        """Ask what to do with unsaved edits; True when it is fine to go on.

        The box is ``self.close_box`` while it is open, so tests can press its buttons.
        """
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved edits",
            f"The canvas has edits that are not exported. Export them before you {doing}?",
            buttons,
            self,
        )
        box.setObjectName("unsavedEditsBox")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        self.close_box = box
        try:
            answer = box.exec()
        finally:
            self.close_box = None
        if answer == QMessageBox.StandardButton.Save:
            return self.export_dialog()
        return answer == QMessageBox.StandardButton.Discard

    def can_close(self) -> bool:
        """False when the user chose to keep working (or the export was cancelled)."""
        if self.doc.dirty and not self.confirm_discard():
            return False
        self.controller.cancel_action()
        self._autosave_timer.stop()
        autosave.clear()
        return True

    def autosave_now(self) -> None:
        if not self.doc.dirty:
            return
        snap = autosave.Snapshot(
            self.doc.image,
            self.doc.original,
            self.doc.mask,
            self.doc.source_name,
            self.doc.metadata()["edits"],
        )
        try:
            autosave.save(snap)
        except OSError:
            log.exception("autosave failed")  # never disturb editing for a background save

    def restore_autosave(self) -> bool:
        snap, self._pending_restore = self._pending_restore, None
        self.restore_bar.setVisible(False)
        if snap is None:
            return False
        self.doc.open(snap.original, snap.source_name)
        self.doc.apply_image(snap.image, "Restored", {"restored_edits": snap.edits}, mask=snap.mask)
        self.panel.status.setText("Recovered the unsaved work; undo goes back to the original.")
        return True

    def discard_autosave(self) -> None:
        self._pending_restore = None
        self.restore_bar.setVisible(False)
        autosave.clear()

    # ---- document -> view ------------------------------------------------------------------------
    def _on_image_changed(self) -> None:
        self.view.set_image(self.doc.image)
        self.view.set_before(self.doc.original)
        self._refresh_enabled()

    def _on_selection_changed(self) -> None:
        self.view.set_mask(self.doc.mask)
        self.controller.sync_clicks()
        self._refresh_enabled()

    def _on_stack_changed(self, _value: Any = None) -> None:
        import shiboken6

        # The stack clears itself (and signals) while the widget tree is being destroyed.
        if not (shiboken6.isValid(self.doc.stack) and shiboken6.isValid(self.history)):
            return
        self._rebuild_history()
        self._refresh_enabled()
        if self.doc.dirty:
            self._autosave_timer.start()

    def _rebuild_history(self) -> None:
        self.history.clear()
        if not self.doc.has_image:
            return
        stack = self.doc.stack
        oldest = stack.command(0) if stack.count() else None
        if self.doc.history_trimmed and isinstance(oldest, ImageCommand):
            first = QListWidgetItem(thumbnail_icon(oldest.before_image, THUMB), "Earliest kept")
        else:
            first = QListWidgetItem(thumbnail_icon(self.doc.original, THUMB), "Original")
        first.setData(Qt.ItemDataRole.UserRole, 0)
        self.history.addItem(first)
        for i in range(stack.count()):
            cmd = stack.command(i)
            if isinstance(cmd, ImageCommand):
                item = QListWidgetItem(thumbnail_icon(cmd.after_image, THUMB), cmd.text())
                item.setData(Qt.ItemDataRole.UserRole, i + 1)
                if i >= stack.index():
                    item.setForeground(Qt.GlobalColor.gray)  # undone: still one click away
                self.history.addItem(item)

    def _history_clicked(self, item: QListWidgetItem) -> None:
        self.doc.stack.setIndex(int(item.data(Qt.ItemDataRole.UserRole)))

    def _refresh_enabled(self) -> None:
        has = self.doc.has_image
        p = self.panel
        for w in (
            p.export_button,
            p.grow_button,
            p.shrink_button,
            p.feather_button,
            p.invert_button,
            p.clear_button,
            p.fit_button,
            p.actual_button,
            p.compare,
            p.upscale_button,
            p.cutout_button,
        ):
            w.setEnabled(has)
        selected = has and self.doc.mask is not None and bool(self.doc.mask.any())
        idle = self.controller.action_job is None
        p.remove_button.setEnabled(selected and idle)
        p.fill_button.setEnabled(selected and idle)
        cutout = self.controller.current_cutout() is not None
        p.edit_cutout_button.setEnabled(cutout)
        p.apply_cutout_button.setEnabled(cutout and self.doc.mask is not None)
        if not idle:
            p.set_busy(True)

    def _pick_colour(self) -> None:
        colour = QColorDialog.getColor(self.panel.colour, self, "Background colour")
        if colour.isValid():
            self.panel.set_colour(colour)
            self.panel.background.setCurrentIndex(self.panel.background.findData("colour"))

    # ---- hold B for "before" -------------------------------------------------------------------
    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_B and not event.isAutoRepeat() and self.doc.has_image:
            self.view.set_split(1.0)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_B and not event.isAutoRepeat():
            self.view.set_split(self.panel.compare.value() / 100)
            return
        super().keyReleaseEvent(event)
