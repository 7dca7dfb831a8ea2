"""Settings -> Compute: this computer or a Studio server (URL, token, Test connection)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from studio.core.settings import Settings
from studio.models.catalogue import load_catalogue
from studio.models.store import ModelStore
from studio.ui.dialogs.settings import SettingsDialog
from tests.server.conftest import free_port, start_server, stop_server
from tests.ui.mnemonics import assert_unique_mnemonics

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real ``studio serve`` app with a token, over an empty store (no job runs here)."""
    from studio.server.state import ServerConfig

    root = tmp_path_factory.mktemp("compute_server")
    config = ServerConfig(port=free_port(), token=TOKEN, work_dir=root / "work", device="cpu")
    running = start_server(config, ModelStore(root / "store", load_catalogue()))
    yield running
    stop_server(running)


@pytest.fixture
def dialog(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _choose_server(dialog, qtbot, url: str, token: str) -> None:
    qtbot.mouseClick(dialog.compute_server, Qt.MouseButton.LeftButton)
    for field, text in ((dialog.server_url, url), (dialog.server_token, token)):
        field.setFocus()
        field.selectAll()
        qtbot.keyClicks(field, text)


def _test_connection(dialog, qtbot) -> str:
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    status = dialog.connection_status
    qtbot.waitUntil(lambda: status.text().startswith(("Connected", "Not connected")), timeout=20000)
    return status.text()


def test_this_computer_is_the_default_and_the_server_fields_wait(dialog):
    assert dialog.compute_local.isChecked() and not dialog.compute_server.isChecked()
    assert not dialog.server_url.isEnabled() and not dialog.test_button.isEnabled()
    letters = assert_unique_mnemonics(dialog)
    assert {"h", "s", "u", "k", "t"} <= set(letters)
    assert "restart" in " ".join(
        label.text() for label in dialog.findChildren(type(dialog.connection_status))
    )


def test_connected_to_a_real_server_and_saved(dialog, qtbot, server):
    _choose_server(dialog, qtbot, server.url, TOKEN)
    assert dialog.server_url.isEnabled() and dialog.test_button.isEnabled()
    assert _test_connection(dialog, qtbot) == "Connected: the server runs jobs on cpu."
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    dialog.result_settings().save()
    saved = Settings.load()
    assert (saved.compute, saved.server_url, saved.server_token) == ("server", server.url, TOKEN)
    assert saved.uses_server

    again = SettingsDialog(saved)  # and it opens as it was left
    qtbot.addWidget(again)
    assert again.compute_server.isChecked() and again.server_url.text() == server.url


def test_a_wrong_token_is_named(dialog, qtbot, server):
    _choose_server(dialog, qtbot, server.url, "wrong")
    assert "refused the token" in _test_connection(dialog, qtbot)


def test_a_closed_port_says_why(dialog, qtbot):
    url = f"http://127.0.0.1:{free_port()}"
    _choose_server(dialog, qtbot, url, "")
    text = _test_connection(dialog, qtbot)
    assert text == (
        f"Not connected: The Studio server at {url} cannot be reached. Is `studio serve` running?"
    )
    assert dialog.test_button.isEnabled()  # ready to try again


def test_a_url_that_is_not_one_keeps_the_dialog_open(dialog, qtbot):
    _choose_server(dialog, qtbot, "gpu-box:8765", "")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "http://gpu-box:8765" in dialog.connection_status.text()
    assert "Not connected" in _test_connection(dialog, qtbot)


def test_back_to_this_computer(dialog, qtbot):
    _choose_server(dialog, qtbot, "http://gpu-box:8765", "t")
    qtbot.mouseClick(dialog.compute_local, Qt.MouseButton.LeftButton)
    assert not dialog.server_url.isEnabled()
    result = dialog.result_settings()
    assert result.compute == "local" and not result.uses_server
    assert result.server_url == "http://gpu-box:8765"  # kept for the next switch


def test_an_old_settings_file_still_loads():
    path = Settings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"device": "cpu", "vram_budget_gb": 4.0}), encoding="utf-8")
    loaded = Settings.load()
    assert (loaded.device, loaded.compute, loaded.server_url) == ("cpu", "local", "")
    assert not loaded.uses_server
