"""Step 3 of the Headshots wizard, the page: Generate / Cancel / Re-roll / Export, Hide
flagged, the past packs, the pack's progress and a note over the gallery.

The workspace wires the buttons to jobs; this module only lays the page out and says which
buttons can act (:meth:`ReviewStep.update_buttons`).
"""

from __future__ import annotations

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

from studio.ui.widgets.icons import set_icon
from studio.ui.workspaces.headshots.gallery import Gallery


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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.generate_button = QPushButton("&Generate")
        set_icon(self.generate_button, "mdi6.creation")
        self.cancel_button = QPushButton("&Cancel")
        set_icon(self.cancel_button, "mdi6.stop-circle-outline")
        self.reroll_button = QPushButton("&Re-roll selected")
        self.reroll_button.setToolTip("Draw the selected portraits again with new seeds")
        set_icon(self.reroll_button, "mdi6.dice-multiple-outline")
        self.export_button = QPushButton("E&xport selected…")
        self.export_button.setToolTip("Write the selected portraits to a folder (Ctrl+E)")
        set_icon(self.export_button, "mdi6.export")
        self.hide_flagged = QCheckBox("Hi&de flagged")
        self.hide_flagged.setToolTip(
            "Hide the portraits marked ⚠ (no face found, not like you, blurred, duplicates)"
        )
        self.past = QComboBox(minimumContentsLength=18, placeholderText="(none yet)")
        past_label = QLabel("&Past packs")
        past_label.setBuddy(self.past)
        self.progress = QProgressBar()
        self.eta = QLabel("")
        self.note = QLabel("Pick selfies and a style, then Generate.")
        self.note.setWordWrap(True)
        self.gallery = Gallery()
        top = QHBoxLayout()  # two short rows: the page must fit a 1366x768 window
        for w in (self.generate_button, self.cancel_button, self.reroll_button):
            top.addWidget(w)
        top.addStretch()
        top.addWidget(self.export_button)
        second = QHBoxLayout()
        second.addWidget(self.hide_flagged)
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
