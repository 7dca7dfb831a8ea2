"""Step 3 of the Headshots wizard, the page: Generate / Cancel / Re-roll / Open in Canvas /
Export, Hide flagged, Show before (face detail's before/after on the selected portraits, also
View > Before / After, Ctrl+B), the past packs, the pack's progress and a note over the gallery.

The workspace wires the buttons to jobs; this module lays the page out, says which buttons
can act (:meth:`ReviewStep.update_buttons`) and reads a portrait for the Canvas: Open in
Canvas (the button, or a portrait's context menu) decodes the selected portrait's file on the
gallery's I/O worker and reports its pixels with ``open_in_canvas``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.ui.widgets.icons import set_icon
from studio.ui.workspaces.headshots.gallery import Gallery, number


def eta_text(seconds: float | None) -> str:
    """ "about 40 s left", "about 3 min left"; "" when unknown (before a stage's 2nd step)."""
    if seconds is None:
        return ""
    if seconds < 1:
        return "almost done"
    if seconds < 90:
        return f"about {seconds:.0f} s left"
    return f"about {seconds / 60:.0f} min left"


class ReviewStep(QWidget):
    """The review page's widgets; the workspace connects them."""

    open_in_canvas = Signal(object)  # the selected portrait's pixels (H x W x 3 uint8 RGB)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.generate_button = QPushButton("&Generate")
        set_icon(self.generate_button, "mdi6.creation")
        self.cancel_button = QPushButton("&Cancel")
        set_icon(self.cancel_button, "mdi6.stop-circle-outline")
        self.reroll_button = QPushButton("&Re-roll selected")
        self.reroll_button.setToolTip("Draw the selected portraits again with new seeds")
        set_icon(self.reroll_button, "mdi6.dice-multiple-outline")
        self.canvas_button = QPushButton("&Open in Canvas")
        self.canvas_button.setToolTip("Edit the selected portrait in the Canvas")
        set_icon(self.canvas_button, "mdi6.image-edit-outline")
        self.export_button = QPushButton("E&xport selected…")
        self.export_button.setToolTip("Write the selected portraits to a folder (Ctrl+E)")
        set_icon(self.export_button, "mdi6.export")
        self.gallery = Gallery()
        self.hide_flagged = QCheckBox("Hi&de flagged")
        self.hide_flagged.setToolTip(
            "Hide the portraits marked ⚠ (no face found, not like you, blurred, duplicates)"
        )
        self.compare_button = QPushButton("Sho&w before")
        self.compare_button.setCheckable(True)
        self.compare_button.setToolTip(
            "Show the selected portraits as they were before face detail (Ctrl+B)"
        )
        set_icon(self.compare_button, "mdi6.compare")
        self.compare_button.toggled.connect(lambda on: self.gallery.set_compare(on))
        self.past = QComboBox(minimumContentsLength=18, placeholderText="(none yet)")
        past_label = QLabel("&Past packs")
        past_label.setBuddy(self.past)
        self.progress = QProgressBar()
        self.eta = QLabel("")
        self.note = QLabel("Pick selfies and a style, then Generate.")
        self.note.setWordWrap(True)
        # the same on a portrait's context menu (right click)
        self.canvas_action = QAction("Open in Canvas", self.gallery)
        set_icon(self.canvas_action, "mdi6.image-edit-outline")
        self.gallery.addAction(self.canvas_action)
        self.gallery.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        # lambdas: clicked(bool) / triggered(bool) must never reach a method's parameters
        self.canvas_button.clicked.connect(lambda: self.open_selected_in_canvas())
        self.canvas_action.triggered.connect(lambda: self.open_selected_in_canvas())
        top = QHBoxLayout()  # two short rows: the page must fit a 1366x768 window
        for w in (self.generate_button, self.cancel_button, self.reroll_button):
            top.addWidget(w)
        top.addStretch()
        top.addWidget(self.canvas_button)
        top.addWidget(self.export_button)
        second = QHBoxLayout()
        second.addWidget(self.hide_flagged)
        second.addWidget(self.compare_button)
        second.addStretch()
        second.addWidget(past_label)
        second.addWidget(self.past)
        bar = QHBoxLayout()
        bar.addWidget(self.progress)
        bar.addWidget(self.eta)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(second)
        lay.addLayout(bar)
        lay.addWidget(self.note)
        lay.addWidget(self.gallery, 1)

    def update_buttons(
        self, *, has_pack: bool, flagged: bool, generating: bool, busy: bool
    ) -> None:
        """``busy``: a re-roll or export runs (the manifest or files are in use)."""
        self.generate_button.setEnabled(not generating)
        self.cancel_button.setEnabled(generating)
        self.progress.setVisible(generating)
        self.eta.setVisible(generating)
        self.hide_flagged.setEnabled(flagged)
        self.past.setEnabled(not generating)
        selected = bool(self.gallery.selected_indices())
        # a streaming draft has no index yet, and the pack job owns the manifest meanwhile
        can_act = has_pack and not generating and not busy and selected
        self.reroll_button.setEnabled(can_act)
        self.export_button.setEnabled(can_act)
        # reading one portrait's file: fine while a re-roll or an export runs
        one = has_pack and not generating and len(self.gallery.selected_indices()) == 1
        self.canvas_button.setEnabled(one)
        self.canvas_action.setEnabled(one)
        pack = self.gallery.pack
        compare = has_pack and not generating and pack is not None
        compare = compare and any(im.final and im.before_face_detail for im in pack.images)
        self.compare_button.setEnabled(compare)
        if not compare and self.compare_button.isChecked():
            self.compare_button.setChecked(False)  # no before copies: show the finished ones

    def open_selected_in_canvas(self) -> bool:
        """Decode the selected portrait (its refined file where there is one) on the I/O
        worker, then emit ``open_in_canvas``; True when it started."""
        pack, indices = self.gallery.pack, self.gallery.selected_indices()
        if pack is None or len(indices) != 1:
            self.note.setText("Select one portrait to open in the Canvas.")
            return False
        image = pack.image(indices[0])
        path = pack.path(image.final or image.draft)

        def read() -> object:
            from studio.core.imageio import load_image
            from studio.ui.widgets.images import as_array

            return as_array(load_image(path, "RGB"))

        def failed(exc: BaseException) -> None:
            why = exc.user_message if isinstance(exc, StudioError) else str(exc)
            self.note.setText(f"Could not open {number(indices[0])} in the Canvas: {why}")

        self.gallery.workers.run(read, self.open_in_canvas.emit, failed)
        return True
