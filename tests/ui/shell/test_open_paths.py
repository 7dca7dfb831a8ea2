"""``studio photo.png``: run_gui's window opens the photo in the Canvas; other paths get a
clear message. Also the error box's pointer to the log."""

from __future__ import annotations

import logging
import sys

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

from studio.ui.shell.app import build_gui
from studio.ui.shell.errors import show_error
from tests.ui.shell.harness import close_and_wait


@pytest.fixture
def gui(qtbot, monkeypatch):
    """build_gui as run_gui calls it (everything but exec()); closed and restored after."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # build_gui installs its own
    app = QApplication.instance()
    quit_on_close = app.quitOnLastWindowClosed()
    built = []

    def build(paths):
        _app, window = build_gui(paths)
        built.append(window)
        return window

    yield build
    for window in built:
        close_and_wait(qtbot, window)
    app.setQuitOnLastWindowClosed(quit_on_close)


def photo(path, colour=(200, 30, 10), size=(64, 48)):
    Image.new("RGB", size, colour).save(path)
    return path


def test_run_gui_opens_a_photo_in_the_canvas(gui, tmp_path, qtbot):
    window = gui([photo(tmp_path / "photo.png")])
    canvas = window.workspaces["canvas"]
    qtbot.waitUntil(lambda: canvas.current_image() is not None, timeout=20000)  # I/O thread
    assert window.isVisible() and window.nav.currentRow() == 0
    canvas = window.workspaces["canvas"]
    assert window.pages.currentWidget() is canvas
    image = canvas.current_image()
    assert image.shape == (48, 64, 3) and tuple(image[0, 0]) == (200, 30, 10)
    assert not hasattr(window, "open_problems_box")
    shot = tmp_path / "shots" / "opened.png"
    shot.parent.mkdir()
    assert window.grab().save(str(shot))
    assert "photo.png" in canvas.panel.status.text()


def test_several_paths_open_the_first_photo_and_name_the_rest(gui, tmp_path, qtbot):
    folder = tmp_path / "holiday"
    folder.mkdir()
    first = photo(tmp_path / "first.jpg", (10, 20, 30))
    second = photo(tmp_path / "second.png")
    window = gui([folder, tmp_path / "gone.png", first, second])
    canvas = window.workspaces["canvas"]
    qtbot.waitUntil(lambda: canvas.current_image() is not None, timeout=20000)
    image = canvas.current_image()
    assert tuple(image[0, 0]) == pytest.approx((10, 20, 30), abs=3)  # JPEG
    box = window.open_problems_box
    assert box.isVisible()
    lines = box.text().splitlines()
    assert lines == [
        "'holiday' is a folder: open a photo (PNG, JPEG, WebP or TIFF).",
        f"'{tmp_path / 'gone.png'}' does not exist.",
        "'second.png' was not opened: the Canvas edits one photo at a time.",
    ]
    assert box.informativeText() == "", "nothing was logged, so no pointer to the log"


def test_an_unreadable_file_gets_the_canvas_message(gui, tmp_path, qtbot):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    window = gui([notes])
    canvas = window.workspaces["canvas"]
    qtbot.waitUntil(lambda: getattr(canvas, "last_error_box", None) is not None, timeout=20000)
    assert canvas.current_image() is None
    assert "not an image Studio can read" in canvas.last_error_box.text()


def test_error_box_points_to_the_log_only_when_it_holds_something(qtbot, caplog):
    caplog.set_level(logging.WARNING, logger="studio.ui.shell.errors")
    plain = show_error(None, "The file is not an image.")
    assert plain.informativeText() == "" and not caplog.records
    detailed = show_error(None, "Could not save.", "OSError: [Errno 28] No space left")
    assert "studio.log" in detailed.informativeText()
    assert "No space left" in caplog.records[-1].getMessage()
    already = show_error(None, "Something went wrong.", "Traceback ...", logged=True)
    assert "studio.log" in already.informativeText() and len(caplog.records) == 1
    for box in (plain, detailed, already):
        box.close()


def test_the_application_has_the_packaged_icon(gui, tmp_path):
    from PySide6.QtWidgets import QApplication

    gui([])
    icon = QApplication.instance().windowIcon()
    assert not icon.isNull() and icon.availableSizes()
