"""The dialogs offscreen: mnemonics, the per-workspace licence summary, screenshots."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from studio.core.settings import Settings
from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.ui.dialogs.about import AboutDialog
from studio.ui.dialogs.licences import workspace_licences
from studio.ui.dialogs.models import ModelsDialog
from studio.ui.dialogs.settings import SettingsDialog
from tests.fixtures.install import install_built
from tests.ui.mnemonics import assert_unique_mnemonics


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models", load_catalogue())


@pytest.fixture
def models_dialog(qtbot, store):
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    dialog = ModelsDialog(store, downloads)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_settings_dialog_mnemonics(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    letters = assert_unique_mnemonics(dialog)
    assert set(letters) == {"d", "v", "p", "m", "b", "f", "o", "c", "h", "s", "u", "k", "t"}
    with_theme = SettingsDialog(Settings(), theme="light")  # as the window opens it
    qtbot.addWidget(with_theme)
    with_theme.show()
    assert set(assert_unique_mnemonics(with_theme)) == set(letters) | {"e"}
    assert with_theme.theme_choice() == "light"


def test_models_dialog_mnemonics_and_its_delete_box(models_dialog, store, qtbot):
    letters = assert_unique_mnemonics(models_dialog)
    assert letters == {"d": "&Download", "l": "De&lete", "i": "&Import…", "c": "&Close"}
    install_built(store, "taesd", lambda d: (d / "config.json").write_text("{}"))
    models_dialog.refresh()
    models_dialog.select("taesd")
    qtbot.mouseClick(models_dialog.delete_button, Qt.MouseButton.LeftButton)
    box = models_dialog.confirm_box
    assert_unique_mnemonics(box)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
    assert store.is_installed("taesd")


def test_about_dialog_mnemonics(qtbot, store):
    about = AboutDialog(store.catalogue)
    qtbot.addWidget(about)
    about.show()
    assert assert_unique_mnemonics(about) == {"c": "&Close"}


def test_models_dialog_says_which_workspaces_allow_commercial_use(models_dialog, tmp_path):
    licences = {w.name: w for w in models_dialog.workspace_licences}
    assert set(licences) == {"Canvas", "Headshots", "Lipsync", "Live"}
    # antelopev2 (insightface) is non-commercial, and Headshots cannot run without it.
    headshots = licences["Headshots"]
    assert not headshots.commercial_use
    assert any("antelopev2" in name for name in headshots.restricted_by)
    summary = models_dialog.licence_summary
    assert summary.isVisible()
    assert "Headshots: non-commercial only, because of" in summary.text()
    for workspace in licences.values():
        assert workspace.name in summary.text()
    shot = tmp_path / "models_dialog.png"
    assert models_dialog.grab().save(str(shot))


def test_a_workspace_is_as_free_as_its_strictest_required_model(store):
    by_name = {w.name: w for w in workspace_licences(store.catalogue)}
    for workspace in by_name.values():
        assert workspace.commercial_use == (not workspace.restricted_by)
        line = workspace.summary()
        assert line.startswith(workspace.name + ": ")
        assert ("non-commercial" in line) != workspace.commercial_use
