"""The welcome dialog offscreen: the card and what runs on it, models and licences, the
workspace checkboxes, downloads through the real download service, Later, and a short disk."""

from __future__ import annotations

import hashlib
import http.server
import threading
from dataclasses import replace
from typing import NamedTuple

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QDialog

from studio.core.device import DeviceInfo
from studio.core.settings import Settings
from studio.models.catalogue import Catalogue, UrlFile, load_catalogue
from studio.models.download import run_download
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.ui.dialogs.welcome import WelcomeDialog
from tests.fixtures.install import install_built
from tests.ui.test_theme import app  # noqa: F401 - a fixture: the app's look put back after

GIB = 2**30
RTX_3070 = DeviceInfo("cuda:0", "NVIDIA GeForce RTX 3070", 8 * GIB)
NO_GPU = DeviceInfo("cpu", "CPU", warning="No CUDA GPU found: running on the CPU.")


@pytest.fixture
def downloads(store):
    """The app's download service, not started: queued jobs stay where a test can see them."""
    return InferenceService(
        store, device="none", runners={"models.download": run_download}, name="downloads"
    )


@pytest.fixture
def make_dialog(qtbot, store, downloads):
    def make(device=RTX_3070, settings=None, store=store, downloads=downloads):
        dialog = WelcomeDialog(settings or Settings(), store, downloads, device)
        qtbot.addWidget(dialog)
        with qtbot.waitExposed(dialog):
            dialog.show()
        return dialog

    return make


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def plain(label) -> str:
    """What a rich-text label shows, as plain text."""
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


def queued_ids(service) -> list[str]:
    return [job.request.model_id for job in service.jobs.values()]


def test_shows_the_card_and_what_each_workspace_can_do_on_it(make_dialog, tmp_path):
    dialog = make_dialog(RTX_3070)
    assert "NVIDIA GeForce RTX 3070" in dialog.device_label.text()
    assert "8.6 GB of memory" in dialog.device_label.text()
    fits = {ws: card.fit_label.text() for ws, card in dialog.cards.items()}
    assert list(fits) == ["canvas", "headshots", "lipsync", "live"]
    assert (
        "Runs partly" in fits["canvas"] and "Fill needs a card with about 10.9 GB" in fits["canvas"]
    )
    assert "Card too small" in fits["headshots"] and "13.4 GB" in fits["headshots"]
    assert "Runs fully" in fits["lipsync"] and "Runs fully" in fits["live"]
    shot = tmp_path / "welcome.png"
    assert dialog.grab().save(str(shot))
    assert shot.stat().st_size > 10_000
    assert (dialog.width(), dialog.height()) == (900, 600)


def test_without_a_gpu_it_says_jobs_run_on_the_cpu(make_dialog):
    dialog = make_dialog(NO_GPU)
    assert "No NVIDIA GPU found: jobs run on the CPU, slowly" in dialog.device_label.text()
    assert all("Runs on the CPU, slowly" in c.fit_label.text() for c in dialog.cards.values())


def test_cpu_chosen_in_settings_shows_the_devices_own_warning(make_dialog):
    info = DeviceInfo(
        "cpu", "CPU", warning="Running on the CPU (chosen in Settings): jobs are slow."
    )
    dialog = make_dialog(info, Settings(device="cpu"))
    assert "chosen in Settings" in dialog.device_label.text()
    assert "No NVIDIA GPU found" not in dialog.device_label.text()


def test_device_unknown_at_first_then_filled_in(make_dialog):
    dialog = make_dialog(None)
    assert "Looking for a graphics card" in dialog.device_label.text()
    assert all("Looking for a graphics card" in c.fit_label.text() for c in dialog.cards.values())
    dialog.set_device(DeviceInfo("cuda:0", "NVIDIA RTX 4090", 24 * GIB))
    assert "NVIDIA RTX 4090" in dialog.device_label.text()
    assert all("Runs fully" in c.fit_label.text() for c in dialog.cards.values())


def test_models_with_sizes_and_non_commercial_licences_explained(make_dialog, store):
    dialog = make_dialog()
    headshots = dialog.cards["headshots"]
    models = headshots.models_label.text()
    assert "InstantID (IdentityNet + IP\u2011Adapter) (4.2 GB" in models
    assert "RealVisXL V4.0 Lightning (7.0 GB)" in models
    assert models.count("non\u2011commercial") == 2  # InstantID and antelopev2
    assert headshots.size_label.text() == "11.7 GB to download"
    licence = plain(headshots.licence_label)
    assert "Not for commercial use" in licence
    assert store.catalogue.get("instantid").licence_note.rstrip(".") in licence
    # Live is allowed commercially, under SD-Turbo's revenue condition
    live = plain(dialog.cards["live"].licence_label)
    assert "Commercial use allowed" in live and "US$1M annual revenue" in live
    # Canvas's default tools are all commercial; its optional non-commercial cut-out models
    # are not downloaded here, so not mentioned
    assert "DIS5K" not in dialog.cards["canvas"].licence_label.text()


def test_every_button_and_checkbox_has_a_mnemonic(make_dialog):
    dialog = make_dialog()
    texts = [dialog.download_button.text(), dialog.later_button.text()]
    texts += [card.check.text() for card in dialog.cards.values()]
    assert all("&" in t for t in texts)
    keys = [t[t.index("&") + 1].lower() for t in texts]
    assert len(set(keys)) == len(keys), keys


def test_download_selected_queues_the_ticked_workspaces_models(make_dialog, qtbot, downloads):
    dialog = make_dialog()
    assert dialog.totals_label.text().startswith("Nothing selected")
    click(qtbot, dialog.cards["canvas"].check)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    focus = dialog.focusWidget()  # the key goes where the user's focus is
    qtbot.keyClick(focus, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)  # &Headshots
    qtbot.waitUntil(dialog.cards["headshots"].check.isChecked)  # a mnemonic animates the click
    assert dialog.totals_label.text().startswith("Selected: 20.8 GB to download")  # shared once
    click(qtbot, dialog.download_button)
    assert queued_ids(downloads) == [
        "sam-vit-b",
        "clipseg-rd64-refined",
        "lama-big",
        "realesrgan-x4plus",  # used by both workspaces: queued once
        "sdxl-inpaint",
        "sdxl-vae-fp16-fix",
        "lcm-lora-sdxl",
        "rembg-u2net",
        "realvisxl-v4-lightning",
        "instantid",
        "antelopev2",
        "taesdxl",
    ]
    assert dialog.result() == QDialog.DialogCode.Accepted and Settings.load().welcomed is True
    assert [j.label for j in downloads.jobs.values()][
        2
    ] == "Download LaMa (big-lama) object removal (205.7 MB)"


def test_later_sets_the_flag_and_downloads_nothing(make_dialog, qtbot, downloads):
    settings = Settings()
    dialog = make_dialog(settings=settings)
    click(qtbot, dialog.cards["live"].check)  # ticked, but the user chooses Later
    click(qtbot, dialog.later_button)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()
    assert settings.welcomed is True and Settings.load().welcomed is True
    assert downloads.jobs == {}


def test_not_enough_disk_space_says_so_and_starts_nothing(
    make_dialog, qtbot, downloads, monkeypatch
):
    class Usage(NamedTuple):
        total: int
        used: int
        free: int

    monkeypatch.setattr("studio.models.download.shutil.disk_usage", lambda _p: Usage(10, 9, 10**9))
    settings = Settings()
    dialog = make_dialog(settings=settings)
    click(qtbot, dialog.cards["headshots"].check)
    click(qtbot, dialog.download_button)
    assert dialog.message.isVisible()
    text = dialog.message.text()
    assert text.startswith("Not enough free disk space: the download needs 11.7 GB")
    assert "only 1.0 GB is free" in text and "choose another models folder" in text
    assert downloads.jobs == {} and dialog.isVisible()
    assert settings.welcomed is False
    click(qtbot, dialog.cards["headshots"].check)  # a new choice clears the message
    assert not dialog.message.isVisible()


def test_download_with_nothing_ticked_asks_for_a_choice(make_dialog, qtbot, downloads):
    dialog = make_dialog()
    click(qtbot, dialog.download_button)
    assert "Tick the workspaces" in dialog.message.text() and dialog.message.isVisible()
    assert downloads.jobs == {} and dialog.isVisible()


def test_installed_and_already_downloading_models_are_not_queued_again(
    make_dialog, qtbot, store, downloads
):
    install_built(store, "taesd", lambda d: (d / "w.bin").write_bytes(b"x"))
    from studio.models.download import DownloadRequest

    downloads.submit("models.download", DownloadRequest("sd-turbo"))
    dialog = make_dialog()
    assert "TAESD tiny VAE (SD 1.x/2.x) (9.8 MB, installed)" in dialog.cards[
        "live"
    ].models_label.text().replace("\u2011", "-")
    click(qtbot, dialog.cards["live"].check)
    assert dialog.totals_label.text().startswith("Nothing left to download")
    click(qtbot, dialog.download_button)
    assert queued_ids(downloads) == ["sd-turbo"]  # only the one queued before
    assert dialog.result() == QDialog.DialogCode.Accepted


# ---- a real download from a local server, through the running service ----------------------

PAYLOADS = {"/sd-turbo.bin": b"turbo" * 4000, "/taesd.bin": b"tiny" * 1000}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = PAYLOADS[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def served_store(tmp_path):
    """The real catalogue with Live's two models served as URL files from a local server."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    real = load_catalogue()
    entries = []
    for entry in real:
        path = f"/{entry.id}.bin"
        if path in PAYLOADS:
            body = PAYLOADS[path]
            url = UrlFile(
                base + path, "weights.bin", hashlib.sha256(body).hexdigest(), None, len(body)
            )
            entry = replace(entry, hub=None, urls=(url,), size_bytes=len(body))
        entries.append(entry)
    yield ModelStore(tmp_path / "served", Catalogue(entries, real.workspaces.values()))
    httpd.shutdown()


def test_download_selected_installs_in_the_background(make_dialog, qtbot, served_store):
    service = InferenceService(
        served_store, device="none", runners={"models.download": run_download}, name="downloads"
    )
    service.start()
    try:
        queued: list[str] = []
        service.job_queued.connect(lambda job: queued.append(job.request.model_id))
        settings = Settings()
        dialog = make_dialog(settings=settings, store=served_store, downloads=service)
        click(qtbot, dialog.cards["live"].check)
        assert dialog.totals_label.text().startswith("Selected: 24.0 KB to download")
        with qtbot.waitSignals([service.job_finished] * 2, timeout=30000):
            click(qtbot, dialog.download_button)
            # the dialog is closed at once; the downloads go on without it
            assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
            assert settings.welcomed is True and Settings.load().welcomed is True
        assert queued == ["sd-turbo", "taesd"]
        assert served_store.is_installed("sd-turbo") and served_store.is_installed("taesd")
        assert (served_store.model_dir("taesd") / "weights.bin").read_bytes() == PAYLOADS[
            "/taesd.bin"
        ]
    finally:
        assert service.shutdown(30)


# ---- in the main window (the lead wires it: MainWindow.open_welcome + Help -> Welcome) -------


def _fetch(request, ctx):  # downloads: a stand-in that installs a file through the store
    staged = ctx.store.staging_dir(request.model_id)
    (staged / "weights.bin").write_bytes(b"x")
    return ctx.store.commit(request.model_id, staged, {"weights.bin": "0"})


def test_main_window_welcomes_on_the_first_start_only(qtbot, store):
    from studio.ui.shell.main_window import MainWindow

    if not hasattr(MainWindow, "open_welcome"):
        pytest.skip("the main window does not open the welcome dialog yet")

    def start(settings):
        gpu = InferenceService(store, device="cpu", runners={})
        downloads = InferenceService(
            store, device="none", runners={"models.download": _fetch}, name="downloads"
        )
        win = MainWindow(settings, store, gpu, downloads)
        qtbot.addWidget(win)
        with qtbot.waitSignal(gpu.device_ready, timeout=30000):
            gpu.start()
        downloads.start()
        win.show()
        return win

    first = start(Settings.load())
    qtbot.waitUntil(lambda: getattr(first, "welcome_dialog", None) is not None)
    dialog = first.welcome_dialog
    assert dialog.isVisible() and "CPU" in dialog.device_label.text()
    click(qtbot, dialog.later_button)
    first.close()
    second = start(Settings.load())
    assert Settings.load().welcomed is True
    # device_ready was handled before start() returned: a dialog would exist by now
    assert getattr(second, "welcome_dialog", None) is None
    help_menu = next(a.menu() for a in second.menuBar().actions() if a.text() == "&Help")
    welcome = next(a for a in help_menu.actions() if a.text().startswith("&Welcome"))
    welcome.trigger()
    assert second.welcome_dialog.isVisible()
    second.close()


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_coloured_text_is_readable_in_both_themes(app, qtbot, make_dialog, theme):  # noqa: F811
    """Fits, non-commercial notes, the device warning and the message: each colour is the
    theme's own tone, with WCAG contrast >= 4.5 on the dialog's background."""
    import re

    from PySide6.QtGui import QColor, QPalette

    from studio.ui.widgets.theme import TONE_COLOURS, apply_theme
    from tests.ui.test_theme import contrast

    assert apply_theme(app, theme) == theme
    dialog = make_dialog(RTX_3070)  # fits: partly (warning), too small (error), fully (success)
    background = dialog.palette().color(QPalette.ColorRole.Window)
    labels = [dialog.device_label]
    for card in dialog.cards.values():
        labels += [card.fit_label, card.models_label, card.licence_label]
    texts = [label.text() for label in labels]
    dialog.set_device(None)  # "Looking for a graphics card…" (muted)
    texts += [card.fit_label.text() for card in dialog.cards.values()]
    dialog.set_device(NO_GPU)  # the CPU warning (error)
    texts.append(dialog.device_label.text())
    colours = {c.lower() for text in texts for c in re.findall(r"color:\s*(#[0-9a-fA-F]{6})", text)}
    tones = TONE_COLOURS[theme]
    assert colours == {tones[t] for t in ("error", "warning", "success", "muted")}
    for colour in colours:
        ratio = contrast(QColor(colour), background)
        assert ratio >= 4.5, f"{theme}: {colour} on {background.name()} is {ratio:.2f}:1"

    click(qtbot, dialog.download_button)  # nothing ticked: the message says so, in red
    assert dialog.message.isVisible()
    message = dialog.message.palette()
    assert message.color(QPalette.ColorRole.WindowText) == QColor(tones["error"])
    assert contrast(message.color(QPalette.ColorRole.WindowText), background) >= 4.5
