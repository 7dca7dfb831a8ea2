"""Help > About: every model's name, licence and source fit the dialog (no sideways scrolling)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from studio.models.catalogue import load_catalogue
from studio.ui.dialogs.about import AboutDialog


def test_the_source_column_is_in_view_and_long_texts_have_tooltips(qtbot):
    about = AboutDialog(load_catalogue())
    qtbot.addWidget(about)
    about.show()
    qtbot.waitExposed(about)
    QApplication.processEvents()
    table = about.table
    assert table.horizontalScrollBar().maximum() == 0  # nothing hidden to the right
    assert table.columnWidth(2) >= 300  # Source: where each model comes from
    longest = max(range(table.rowCount()), key=lambda r: len(table.item(r, 1).text()))
    item = table.item(longest, 1)
    assert item.toolTip() == item.text()
