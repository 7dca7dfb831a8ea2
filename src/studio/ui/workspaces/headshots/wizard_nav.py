"""Back / Next under the Headshots wizard's pages (Alt+B, Alt+N).

Next is disabled while the current step is incomplete; its tooltip and a short hint beside it
say why ("Add at least one accepted selfie first."). The tabs stay clickable: a past pack can
be opened on the review page without any selfie.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QWidget

from studio.ui.widgets.icons import set_icon


class WizardNav(QWidget):
    """The Back and Next buttons for ``tabs``; ``blocker(page)`` says why Next cannot go on
    from ``page`` ("" when it can)."""

    def __init__(
        self, tabs: QTabWidget, blocker: Callable[[int], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.tabs, self.blocker = tabs, blocker
        self.back_button = QPushButton("&Back")
        set_icon(self.back_button, "mdi6.arrow-left")
        self.next_button = QPushButton("&Next")
        set_icon(self.next_button, "mdi6.arrow-right")
        self.next_button.setLayoutDirection(Qt.LayoutDirection.RightToLeft)  # arrow after text
        self.hint = QLabel("")
        self.hint.setObjectName("wizardHint")
        self.hint.setEnabled(False)  # drawn in the palette's muted text colour
        self.back_button.clicked.connect(lambda: self.go(-1))
        self.next_button.clicked.connect(lambda: self.go(+1))
        tabs.currentChanged.connect(lambda _page: self.update_state())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.back_button)
        row.addStretch()
        row.addWidget(self.hint)
        row.addWidget(self.next_button)
        self.update_state()

    def go(self, step: int) -> None:
        page = self.tabs.currentIndex() + step
        if 0 <= page < self.tabs.count():
            self.tabs.setCurrentIndex(page)

    def update_state(self) -> None:
        """Re-read what the current step lacks (the workspace calls this when it changes)."""
        page, last = self.tabs.currentIndex(), self.tabs.count() - 1
        self.back_button.setEnabled(page > 0)
        back_to = self.tabs.tabText(page - 1).replace("&&", "&") if page > 0 else ""
        self.back_button.setToolTip(f"Back to {back_to} (Alt+B)" if back_to else "")
        if page >= last:
            self.next_button.setEnabled(False)
            self.next_button.setToolTip("This is the last step.")
            self.hint.setText("")
            return
        why = self.blocker(page)
        self.next_button.setEnabled(not why)
        go_to = self.tabs.tabText(page + 1).replace("&&", "&")
        self.next_button.setToolTip(why or f"On to {go_to} (Alt+N)")
        self.hint.setText(why)
