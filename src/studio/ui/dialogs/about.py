"""About: version and each model's licence."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.models.catalogue import Catalogue


class AboutDialog(QDialog):
    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Studio")
        self.resize(900, 480)
        intro = QLabel(
            f"<b>Studio {__version__}</b><br>Generative image and video tools that run on "
            "your own GPU. Models are downloaded from their publishers on first use; each "
            "has its own licence, listed below."
        )
        intro.setWordWrap(True)
        entries = list(catalogue)
        table = QTableWidget(len(entries), 3, self)
        table.setObjectName("licenceTable")
        table.setHorizontalHeaderLabels(["Model", "Licence", "Source"])
        table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().hide()
        for row, e in enumerate(entries):
            licence = e.licence + ("" if e.commercial_use else " (non-commercial)")
            for col, text in enumerate([e.name, licence, e.homepage or e.source_label]):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                table.setItem(row, col, item)
        table.resizeColumnsToContents()
        # Capped columns (whole texts in the tooltips): a long licence name used to push
        # Source out of the dialog behind a horizontal scroll bar.
        table.setWordWrap(False)
        table.setColumnWidth(0, min(table.columnWidth(0), 300))
        table.setColumnWidth(1, min(table.columnWidth(1), 260))
        # Cut in the middle, a URL keeps its site and its project's name.
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("&Close")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.table = table
