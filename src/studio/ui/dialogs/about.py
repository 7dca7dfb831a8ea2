"""About: version and each model's licence."""

from __future__ import annotations

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
        self.resize(760, 460)
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
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("&Close")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.table = table
