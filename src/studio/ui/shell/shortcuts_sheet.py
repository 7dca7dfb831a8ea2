"""Help > Keyboard Shortcuts (F1): every key of the window's menus and of the current
workspace, grouped by menu, with a filter."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenuBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


def plain(label: str) -> str:
    """A menu label without its mnemonic and trailing ellipsis: "&Open…" -> "Open"."""
    return label.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def keys_text(action: QAction) -> str:
    """The action's shortcuts as the platform writes them: "Ctrl+Y, Ctrl+Shift+Z"."""
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


def menu_shortcuts(bar: QMenuBar) -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(menu title, [(action, keys), ...]), ...]`` for every action with a key."""
    groups = []
    for top in bar.actions():
        menu = top.menu()
        if menu is None:
            continue
        rows = [
            (plain(a.text()), keys_text(a))
            for a in menu.actions()
            if not a.isSeparator() and a.shortcuts()
        ]
        if rows:
            groups.append((plain(top.text()), rows))
    return groups


class ShortcutsSheet(QDialog):
    """The sheet: ``groups`` of ``(title, [(what, keys), ...])`` in a two-column tree."""

    def __init__(
        self, groups: list[tuple[str, list[tuple[str, str]]]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.setObjectName("shortcutsSheet")
        self.resize(520, 560)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type to find an action or a key")
        self.filter.setClearButtonEnabled(True)
        filter_label = QLabel("&Find")
        filter_label.setBuddy(self.filter)
        self.tree = QTreeWidget()
        self.tree.setObjectName("shortcutsTree")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        for title, rows in groups:
            group = QTreeWidgetItem(self.tree, [title])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFirstColumnSpanned(True)
            for what, keys in rows:
                item = QTreeWidgetItem(group, [what, keys])
                item.setToolTip(0, what)
        self.tree.expandAll()
        self.resize(self._fitting_width(groups), 560)
        self.filter.textChanged.connect(self._filter)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("&Close")
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(filter_label)
        row.addWidget(self.filter, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)

    def _fitting_width(self, groups: list[tuple[str, list[tuple[str, str]]]]) -> int:
        """Wide enough that no action ends in "..." (a canvas tool's action is one long
        sentence), up to 900 px: beyond that the tooltip holds the whole text."""
        fm = self.tree.fontMetrics()
        rows = [row for _title, group in groups for row in group] or [("", "")]
        what = max(fm.horizontalAdvance(w) for w, _k in rows)
        keys = max(fm.horizontalAdvance(k) for _w, k in rows)
        return min(max(520, what + keys + 120), 900)

    def rows(self, visible_only: bool = True) -> dict[str, list[tuple[str, str]]]:
        """Group title -> its (action, keys) rows (those the filter leaves shown)."""
        out: dict[str, list[tuple[str, str]]] = {}
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            out[group.text(0)] = [
                (group.child(j).text(0), group.child(j).text(1))
                for j in range(group.childCount())
                if not (visible_only and group.child(j).isHidden())
            ]
        return out

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            shown = 0
            for j in range(group.childCount()):
                item = group.child(j)
                match = not needle or any(needle in item.text(c).lower() for c in (0, 1))
                item.setHidden(not match)
                shown += match
            group.setHidden(shown == 0)
