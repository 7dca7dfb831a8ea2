"""Settings: the model folder shown whole (elided in the middle when long, in full as its
tooltip), Browse… and Open folder; the theme choice as the window opens it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from studio.core.settings import Settings
from studio.ui.dialogs.settings import SettingsDialog
from tests.ui.clicking import answer_file_dialog, click


def test_a_long_model_folder_is_elided_in_the_middle_with_the_full_path_as_tooltip(qtbot, tmp_path):
    folder = tmp_path.joinpath(*(["a-rather-long-folder-name-for-models"] * 6), "the-end")
    folder.mkdir(parents=True)
    dialog = SettingsDialog(Settings(models_dir=str(folder)))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    label = dialog.models_dir.label
    shown = label.text()
    assert "…" in shown and shown.endswith("the-end") and shown.startswith(str(tmp_path)[:4])
    assert label.toolTip() == str(folder)
    assert label.width() >= label.fontMetrics().horizontalAdvance(shown)  # nothing else cut
    assert dialog.models_dir.open_button.isEnabled()
    assert dialog.result_settings().models_dir == str(folder)


def test_browse_picks_a_folder_and_open_needs_one_that_exists(qtbot, tmp_path):
    dialog = SettingsDialog(Settings(models_dir=str(tmp_path / "not-yet")))
    qtbot.addWidget(dialog)
    dialog.show()
    row = dialog.models_dir
    assert not row.open_button.isEnabled()
    assert "does not exist yet" in row.open_button.toolTip()
    chosen = tmp_path / "big-disk"
    chosen.mkdir()
    answer_file_dialog(qtbot, chosen)
    click(qtbot, row.browse_button)
    assert row.label.toolTip() == str(chosen) and row.open_button.isEnabled()
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result_settings().models_dir == str(chosen)


def test_the_default_folder_is_named_as_the_default(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.models_dir.label.path().endswith("(default)")
    assert dialog.models_dir.label.toolTip() == str(Settings().resolved_models_dir())
    assert dialog.result_settings().models_dir == ""


def test_a_usual_model_folder_shows_whole_at_the_dialogs_first_size(qtbot):
    folder = "/home/someone/.local/share/studio/models"  # the default's usual length
    dialog = SettingsDialog(Settings(models_dir=folder))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.models_dir.label.text() == folder
