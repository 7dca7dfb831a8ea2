"""The Models dialog's Import…: your own LoRA or checkpoint through the file dialog, refused
files named in a box."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.core.errors import format_size
from studio.models.catalogue import load_catalogue
from studio.models.imports import LICENCE
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.ui.dialogs.models import DISK_COL, LICENCE_COL, STATUS_COL, ModelsDialog
from tests.ui.clicking import answer_file_dialog, click
from tests.ui.mnemonics import assert_unique_mnemonics


def _lora(path, context=2048):
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    key = "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k"
    tensors = {
        f"{key}.lora_down.weight": torch.randn(4, context),
        f"{key}.lora_up.weight": torch.randn(8, 4),
        f"{key}.alpha": torch.tensor(4.0),
    }
    save_file(tensors, str(path))
    return path


def _dialog(qtbot, tmp_path):
    store = ModelStore(tmp_path / "models", load_catalogue())
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    dialog = ModelsDialog(store, downloads)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, store


def _row(dialog, model_id):
    for r in range(dialog.table.rowCount()):
        if dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == model_id:
            return r
    return None


def test_import_a_lora_through_the_file_dialog(qtbot, tmp_path):
    dialog, store = _dialog(qtbot, tmp_path)
    source = _lora(tmp_path / "My Style.safetensors")
    rows_before = dialog.table.rowCount()
    assert dialog.import_button.text() == "&Import…"
    assert_unique_mnemonics(dialog)

    copied: list[tuple[int, int]] = []
    dialog.importer.progressed.connect(lambda done, total: copied.append((done, total)))
    answer_file_dialog(qtbot, source)
    with qtbot.waitSignal(dialog.importer.imported, timeout=20000) as imported:
        click(qtbot, dialog.import_button)
    entry = imported.args[0]
    size = source.stat().st_size
    assert copied and copied[-1] == (size, size)  # progress came back to the GUI thread
    assert entry.task == "lora" and entry.licence == LICENCE
    assert store.is_installed(entry.id)

    assert dialog.table.rowCount() == rows_before + 1
    row = _row(dialog, entry.id)
    assert dialog.table.item(row, 0).text() == "My Style"
    assert dialog.table.item(row, LICENCE_COL).text() == LICENCE  # not "non-commercial"
    assert dialog.table.item(row, STATUS_COL).text() == "installed"
    on_disk = store.disk_usage(entry.id)
    qtbot.waitUntil(lambda: dialog.table.item(row, DISK_COL).text() == format_size(on_disk))
    assert dialog.selected_ids() == [entry.id]  # selected, its details shown
    assert "My Style" in dialog.details.text() and LICENCE in dialog.details.text()
    assert dialog.status.text() == "Imported My Style (SDXL LoRA)."
    assert dialog.import_button.isEnabled() and dialog.delete_button.isEnabled()

    # The next start (the app's store reads the imported list) lists it again.
    from studio.models.imports import catalogue_with_imports

    catalogue = catalogue_with_imports(load_catalogue(), store.root)
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    again = ModelsDialog(ModelStore(store.root, catalogue), downloads)
    qtbot.addWidget(again)
    row = _row(again, entry.id)
    assert again.table.item(row, STATUS_COL).text() == "installed"


def test_a_random_file_and_an_sd15_lora_are_refused_with_a_message(qtbot, tmp_path):
    dialog, store = _dialog(qtbot, tmp_path)
    rows_before = dialog.table.rowCount()
    junk = tmp_path / "notes.safetensors"
    junk.write_bytes(b"hello, this is not a model at all")

    answer_file_dialog(qtbot, junk)
    with qtbot.waitSignal(dialog.importer.failed, timeout=20000) as failed:
        click(qtbot, dialog.import_button)
    assert "not a safetensors file" in failed.args[0]
    box = dialog.importer.error_box
    assert box is not None and box.isVisible()
    assert "'notes.safetensors' is not a safetensors file" in box.text()
    assert "Traceback" not in box.text() and not box.detailedText()
    qtbot.mouseClick(box.button(box.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.importer.error_box is None)
    assert dialog.table.rowCount() == rows_before
    assert dialog.import_button.isEnabled()

    old = _lora(tmp_path / "old.safetensors", context=768)
    answer_file_dialog(qtbot, old)
    with qtbot.waitSignal(dialog.importer.failed, timeout=20000) as failed:
        click(qtbot, dialog.import_button)
    assert (
        failed.args[0]
        == "'old.safetensors' is an SD 1.5 LoRA; Studio's fill and headshots need SDXL."
    )
    assert dialog.importer.error_box.text() == failed.args[0]
    assert dialog.table.rowCount() == rows_before
    assert not (tmp_path / "models" / "imported.json").exists()


def test_deleting_an_imported_model_forgets_it(qtbot, tmp_path):
    from studio.models.imports import imported_entries

    dialog, store = _dialog(qtbot, tmp_path)
    rows_before = dialog.table.rowCount()
    source = _lora(tmp_path / "ink.safetensors")
    answer_file_dialog(qtbot, source)
    with qtbot.waitSignal(dialog.importer.imported, timeout=20000) as imported:
        click(qtbot, dialog.import_button)
    entry = imported.args[0]
    assert dialog.selected_ids() == [entry.id]
    click(qtbot, dialog.delete_button)
    box = dialog.confirm_box
    assert "the files you imported them from stay" in box.text()
    yes = box.button(box.StandardButton.Yes)
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == rows_before, timeout=10000)
    assert imported_entries(store.root) == [] and source.is_file()
    assert dialog.status.text() == f"Deleted {entry.id}."
