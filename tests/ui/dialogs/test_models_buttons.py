"""Tools > Models: Download and Delete are enabled only where a click would do something,
and a disabled one says why (a click on Download for an installed model used to do nothing)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.ui.dialogs.models import ModelsDialog
from tests.fixtures.install import install_built


@pytest.fixture
def dialog(qtbot, tmp_path):
    store = ModelStore(tmp_path / "models", load_catalogue())
    install_built(store, "taesd", lambda d: (d / "config.json").write_text("{}"))
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    dialog = ModelsDialog(store, downloads)
    qtbot.addWidget(dialog)
    dialog.resize(1000, 560)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _click_row(qtbot, dialog, model_id):
    table = dialog.table
    row = next(
        r
        for r in range(table.rowCount())
        if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == model_id
    )
    table.scrollToItem(table.item(row, 0))
    centre = table.visualItemRect(table.item(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert dialog.selected_ids() == [model_id]


def test_download_and_delete_follow_the_selected_model(dialog, qtbot):
    assert dialog.selected_ids() == []
    assert not dialog.download_button.isEnabled() and not dialog.delete_button.isEnabled()
    assert "Select" in dialog.download_button.toolTip()
    assert "Select an installed model" in dialog.delete_button.toolTip()

    _click_row(qtbot, dialog, "taesd")  # installed: nothing to download
    assert not dialog.download_button.isEnabled() and dialog.delete_button.isEnabled()
    assert "not installed" in dialog.download_button.toolTip()

    _click_row(qtbot, dialog, "sam-vit-b")  # not installed: nothing to delete
    assert dialog.download_button.isEnabled() and not dialog.delete_button.isEnabled()
    assert dialog.download_button.toolTip() == "Download the selected models"
