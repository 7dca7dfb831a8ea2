"""The Canvas workspace: open a photo, select, then remove / fill / cut out / upscale.

Widgets never run models: every action is a job on the inference service (a click is an
INTERACTIVE ``canvas.segment`` job, so it overtakes a running fill), bound back by job id.
Results become undoable edits of the :class:`CanvasDocument`; unsaved work is autosaved and
``can_close()`` asks before anything is thrown away. Decoding a photo, writing an export and
autosaving run on I/O threads (:class:`IoWorkers`); their results come back as signals.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QColorDialog,
    QFileDialog,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core import autosave
from studio.core.errors import BadInput, StudioError
from studio.ui.shell.errors import show_error
from studio.ui.widgets.worker import IoWorkers
from studio.ui.workspaces.canvas.contract import CanvasMenuActions
from studio.ui.workspaces.canvas.controller import CanvasController
from studio.ui.workspaces.canvas.document import CanvasDocument
from studio.ui.workspaces.canvas.expand_dialog import ExpandDialog, ExpandDialogHost
from studio.ui.workspaces.canvas.expand_handles import ExpandHandles
from studio.ui.workspaces.canvas.exporting import CanvasExport
from studio.ui.workspaces.canvas.files import decode, unsaved_edits_box
from studio.ui.workspaces.canvas.history import HistoryStrip
from studio.ui.workspaces.canvas.overlay import BusyOverlay
from studio.ui.workspaces.canvas.panel import ToolPanel
from studio.ui.workspaces.canvas.recall_settings import CanvasRecall
from studio.ui.workspaces.canvas.recovery import Autosaver, RestoreBar
from studio.ui.workspaces.canvas.shortcuts import CanvasKeys
from studio.ui.workspaces.canvas.toolbar import CanvasToolBar
from studio.ui.workspaces.canvas.view import CanvasView

__all__ = ["CanvasWorkspace"]


OPEN_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff);;All files (*)"


class CanvasWorkspace(CanvasMenuActions, CanvasRecall, ExpandDialogHost, CanvasExport, QWidget):
    """Tool bar, image view and history strip in the middle, tool panel on the right.

    Takes part in the window's menus through ``action_enabled`` / ``run_action`` and the
    signals below (see ``studio.ui.shell.workspace_actions``); the gallery's "Use these
    settings again" through ``apply_settings`` (:mod:`.recall_settings`).
    """

    image_opened = Signal(str)  # the name, once the new document is shown
    open_failed = Signal(str)  # the message shown
    exported = Signal(str)  # the path written
    export_failed = Signal(str)  # the message shown
    actions_changed = Signal()  # what action_enabled answers may have changed
    notify = Signal(str)  # a finished action, for a toast ("Saved to /path/x.png")
    opened_file = Signal(str)  # a file opened or exported, for Open Recent
    recorded = Signal(str)  # an exported file is in the gallery (logged, never shown, if not)

    def __init__(self, service: Any, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.store = service, store
        self.doc = CanvasDocument(self)
        self.view = CanvasView()
        self.toolbar = CanvasToolBar()
        self.panel = ToolPanel()
        self.panel.set_store(store)  # the models Fill and face detail offer
        self.busy = BusyOverlay(self.view)
        self.controller = CanvasController(
            self.doc, self.view, self.panel, service, self.busy, self
        )
        self.history = HistoryStrip(self.doc)
        self.restore_bar = RestoreBar()
        self.io = IoWorkers(self)  # opening and exporting
        self.expand_handles = ExpandHandles(self.view, self)
        self.expand_handles.changed.connect(
            lambda side, px: self.expand_box is not None and self.expand_box.set_side(side, px)
        )
        self.autosaver = Autosaver(self.doc, self)
        self.last_error_box: QMessageBox | None = None
        self.expand_box: ExpandDialog | None = None  # while the Expand dialog is open
        self.close_box: QMessageBox | None = None
        self.export_quality = 92
        self.export_path: Path | None = None  # where this image was last exported
        self._pending_restore: autosave.Snapshot | None = None
        self._open_serial = 0  # only the newest open request is shown
        self._edits = 0  # bumps on every undo-stack move: was the exported state changed?

        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(2)
        centre_layout.addWidget(self.toolbar)
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

        self._connect()
        self.keys = CanvasKeys(self, self.doc.stack.undo, self.doc.stack.redo, self._show_before)
        self.keys.add("Open", ("Ctrl+O",), self.open_dialog)
        self.keys.add("Export", ("Ctrl+S",), self.export)
        self.keys.add("Paste", ("Ctrl+V", "Shift+Ins"), self.paste)
        self.keys.add("Smaller brush", ("[",), lambda: self.toolbar.scale_brush(1 / 1.25))
        self.keys.add("Larger brush", ("]",), lambda: self.toolbar.scale_brush(1.25))
        self.autosaver.look_for_earlier()
        self._refresh_enabled()

    # Kept for callers and tests that know the old names.
    @property
    def restore_label(self) -> Any:
        return self.restore_bar.label

    @property
    def restore_button(self) -> Any:
        return self.restore_bar.restore_button

    @property
    def discard_restore_button(self) -> Any:
        return self.restore_bar.discard_button

    def showEvent(self, event: Any) -> None:  # noqa: N802
        # In the main window its menus own Ctrl+Z, Ctrl+O...: ours step aside (see shortcuts).
        self.keys.defer_to_window()
        super().showEvent(event)

    def _connect(self) -> None:
        p, t, v, d = self.panel, self.toolbar, self.view, self.doc
        t.open_action.triggered.connect(lambda: self.open_dialog())
        t.export_action.triggered.connect(lambda: self.export_dialog())
        t.expand_action.triggered.connect(lambda: self.expand_dialog())
        p.expand_button.clicked.connect(lambda: self.expand_dialog())
        t.face_action.triggered.connect(lambda: self.controller.face_detail())
        t.undo_action.triggered.connect(lambda: d.stack.undo())
        t.redo_action.triggered.connect(lambda: d.stack.redo())
        t.fit_action.triggered.connect(lambda: v.fit())
        t.actual_action.triggered.connect(lambda: v.actual_size())
        t.compare.valueChanged.connect(lambda value: v.set_split(value / 100))
        v.split_dragged.connect(lambda fraction: t.compare.setValue(max(1, round(fraction * 100))))
        for key, action in t.tool_actions.items():
            action.toggled.connect(lambda on, k=key: on and self.controller.set_tool(k))
        t.brush_size.valueChanged.connect(lambda value: setattr(v, "brush_size", value))
        p.colour_button.clicked.connect(lambda: self._pick_colour())
        self.controller.notify.connect(self.notify)
        v.files_dropped.connect(lambda paths: self.open_path(paths[0]))
        v.image_dropped.connect(lambda image: self.open_image(image))
        self.controller.state_changed.connect(self._refresh_enabled)
        d.image_changed.connect(self._on_image_changed)
        d.selection_changed.connect(self._on_selection_changed)
        d.opened.connect(self._on_opened)
        d.stack.indexChanged.connect(self._on_stack_changed)
        d.stack.cleanChanged.connect(self._on_stack_changed)
        self.restore_bar.restore_button.clicked.connect(lambda: self.restore_autosave())
        self.restore_bar.discard_button.clicked.connect(lambda: self.discard_autosave())
        self.autosaver.found.connect(self._offer_restore)

    # ---- opening -------------------------------------------------------------------------------
    def current_image(self) -> Any:
        """The image being edited as an RGB uint8 array (a copy), or None (Live streams it)."""
        return self.doc.rgb().copy() if self.doc.has_image else None

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a photo", "", OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a photo file (the command line, "Open with", a drop, the Open dialog).

        Decoding runs in the background: True means it started, and ``image_opened`` or
        ``open_failed`` (with an error box saying why) follows. False: the file is missing
        or a folder (the box says so), or the user chose to keep the unsaved edits.
        """
        path = Path(path)
        problem = None
        if path.is_dir():
            problem = f"'{path.name}' is a folder, not an image."
        elif not path.is_file():
            problem = f"The file '{path.name}' does not exist."
        if problem is not None:
            self._show_failure(BadInput(problem, str(path)), self.open_failed)
            return False
        return self._open(path, path.name)

    def open_bytes(self, data: bytes, name: str = "pasted image") -> bool:
        """Open an encoded image (PNG, JPEG, ...) held in memory; see :meth:`open_path`."""
        return self._open(bytes(data), name)

    def open_image(self, image: Any, name: str = "pasted image") -> bool:
        """Open a QImage, PIL image or uint8 array (a Live frame, a drop, the clipboard)."""
        if isinstance(image, QImage):
            image = image.copy()  # the caller's QImage may change; ours travels to a thread
        return self._open(image, name)

    def open_qimage(self, image: QImage, name: str = "pasted image") -> bool:
        return self.open_image(image, name)

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
        return self.open_image(image)

    def _open(self, source: Any, name: str) -> bool:
        if self.doc.dirty and not self.confirm_discard("open another image"):
            return False
        self._open_serial += 1
        serial, edits = self._open_serial, self._edits
        self.panel.status.setText(f"Opening {name}…")
        self.io.run(
            lambda: decode(source),
            lambda image: self._opened(serial, edits, image, name, source),
            lambda exc: serial == self._open_serial and self._show_failure(exc, self.open_failed),
        )
        return True

    def _opened(self, serial: int, edits: int, image: Any, name: str, source: Any) -> None:
        if serial != self._open_serial:
            return  # a newer open was asked for meanwhile
        # Edited while it was loading: ask again rather than drop those edits.
        if edits != self._edits and self.doc.dirty:
            if not self.confirm_discard("open another image"):
                return
        self.controller.reset()
        self.doc.open(image, name)
        self.export_path = None  # Export asks where again: this is another image
        self.autosaver.clear()
        self.panel.status.setText(
            f"{name}: {image.shape[1]} x {image.shape[0]}. Click the object to select it."
        )
        self.panel.face_row.refresh_models()  # models downloaded since it was last shown
        self.image_opened.emit(name)
        if isinstance(source, Path):
            self.opened_file.emit(str(source))

    def _show_failure(self, exc: BaseException, signal: Any) -> bool:
        if isinstance(exc, StudioError):
            message, detail = exc.user_message, exc.detail
        else:  # a bug, not bad input: the traceback goes behind "Show Details" and the log
            message = f"Something went wrong: {exc}"
            detail = "".join(traceback.format_exception(exc))
        self.last_error_box = show_error(self, message, detail)
        self.panel.status.setText(message)
        signal.emit(message)
        return False

    # ---- closing, autosave ---------------------------------------------------------------------
    def confirm_discard(self, doing: str = "close") -> bool:
        """Ask what to do with unsaved edits; True when it is fine to go on.

        The box is ``self.close_box`` while it is open, so tests can press its buttons.
        """
        box = unsaved_edits_box(self, doing)
        self.close_box = box
        try:
            answer = box.exec()
        finally:
            self.close_box = None
        if answer == QMessageBox.StandardButton.Save:
            return self.export_dialog(wait=True)
        return answer == QMessageBox.StandardButton.Discard

    def can_close(self) -> bool:
        """False when the user chose to keep working (or the export was cancelled)."""
        if self.doc.dirty and not self.confirm_discard():
            return False
        self.controller.cancel_action()
        self.io.wait()
        self.autosaver.clear_now()
        return True

    def autosave_now(self) -> None:
        """Start saving the unsaved work now (normally two seconds after each change)."""
        self.autosaver.save_now()

    def _offer_restore(self, snapshot: autosave.Snapshot) -> None:
        self._pending_restore = snapshot
        self.restore_bar.offer(snapshot)

    def restore_autosave(self) -> bool:
        snap = self._pending_restore
        if snap is None or (self.doc.dirty and not self.confirm_discard("restore")):
            return False
        self._pending_restore = None
        self.restore_bar.setVisible(False)
        self.controller.reset()
        self.doc.open(snap.original, snap.source_name)
        self.doc.apply_image(snap.image, "Restored", {"restored_edits": snap.edits}, mask=snap.mask)
        self.panel.status.setText("Recovered the unsaved work; undo goes back to the original.")
        return True

    def discard_autosave(self) -> None:
        self._pending_restore = None
        self.restore_bar.setVisible(False)
        self.autosaver.clear()

    # ---- document -> view ------------------------------------------------------------------------
    def _on_opened(self) -> None:
        """A new document: nothing of the previous one may show (strip, picker, progress)."""
        self.toolbar.compare.setValue(0)
        self.view.fit()
        self.history.rebuild()
        self._refresh_enabled()

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
        self._edits += 1
        self.history.rebuild()
        self._refresh_enabled()
        self.autosaver.schedule()

    def _show_before(self, on: bool) -> None:
        if on and self.doc.has_image:
            self.view.set_split(1.0)
        else:
            self.view.set_split(self.toolbar.compare.value() / 100)

    def _refresh_enabled(self) -> None:
        doc = self.doc
        self.panel.refresh(
            has_image=doc.has_image,
            selected=doc.has_image and doc.mask is not None and bool(doc.mask.any()),
            idle=self.controller.action_job is None,
            cutout=self.controller.current_cutout() is not None,
        )
        self.toolbar.refresh(
            has_image=doc.has_image,
            can_undo=doc.stack.canUndo(),
            can_redo=doc.stack.canRedo(),
            idle=self.controller.action_job is None,
        )
        self.actions_changed.emit()

    def _pick_colour(self) -> None:
        colour = QColorDialog.getColor(self.panel.colour, self, "Background colour")
        if colour.isValid():
            self.panel.set_colour(colour)
            self.panel.background.setCurrentIndex(self.panel.background.findData("colour"))
