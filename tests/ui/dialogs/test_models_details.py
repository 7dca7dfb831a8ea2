"""The Models dialog: sizes on disk measured from the files, licences in full."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt

from studio.core.errors import format_size
from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.ui.dialogs.models import DISK_COL, LICENCE_COL, SIZE_COL, ModelsDialog
from tests.fixtures.install import install_built


def _row(dialog, model_id: str) -> int:
    return next(
        r
        for r in range(dialog.table.rowCount())
        if dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == model_id
    )


def test_models_dialog_shows_size_on_disk_beside_the_catalogue_size(qtbot, tmp_path):
    store = ModelStore(tmp_path / "models", load_catalogue())

    def build(folder):
        (folder / "config.json").write_text("{}")
        (folder / "weights.bin").write_bytes(b"\0" * 300_000)

    install_built(store, "taesd", build)
    on_disk = sum(p.stat().st_size for p in store.model_dir("taesd").rglob("*") if p.is_file())
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    dialog = ModelsDialog(store, downloads)
    qtbot.addWidget(dialog)
    dialog.show()
    row = _row(dialog, "taesd")
    qtbot.waitUntil(lambda: dialog.table.item(row, DISK_COL).text() == format_size(on_disk))
    entry = store.catalogue.get("taesd")
    assert dialog.table.item(row, SIZE_COL).text() == format_size(entry.size_bytes)
    assert dialog.table.horizontalHeaderItem(DISK_COL).text() == "On disk"
    other = _row(dialog, "sam-vit-b")
    assert dialog.table.item(other, DISK_COL).text() == "—"  # not installed

    # A click on the row shows its licence in full and both sizes in the details pane.
    rect = dialog.table.visualItemRect(dialog.table.item(row, 0))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    details = dialog.details.text()
    assert entry.licence in details and format_size(on_disk) in details
    assert f"Download size: {format_size(entry.size_bytes)}" in details


def test_models_dialog_licence_is_never_cut(qtbot, tmp_path):
    store = ModelStore(tmp_path / "models", load_catalogue())
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    dialog = ModelsDialog(store, downloads)
    qtbot.addWidget(dialog)
    dialog.show()
    noncommercial = next(e for e in store.catalogue if not e.commercial_use and e.licence_note)
    row = _row(dialog, noncommercial.id)
    item = dialog.table.item(row, LICENCE_COL)
    assert noncommercial.licence_note in item.toolTip()  # the why, on hover
    rect = dialog.table.visualItemRect(item)
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert html.escape(noncommercial.licence_note) in dialog.details.text()  # rich text
    assert "Not for commercial use" in dialog.details.text()
    assert dialog.details.wordWrap()
