"""File > Gallery: results per workspace with thumbnails, search, details, Open in Canvas,
Show in Folder, Forget Missing Files, Use These Settings Again (through a workspace's
``apply_settings``); and an exported image dropped on the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from studio.core.export import export_image
from studio.core.gallery import Gallery, record_result
from tests.ui.clicking import click
from tests.ui.mnemonics import assert_unique_mnemonics


class ReusingPage(QWidget):
    """A workspace that takes earlier settings (the optional ``apply_settings``)."""

    def __init__(self) -> None:
        super().__init__()
        self.applied: list[dict] = []

    def apply_settings(self, settings: dict) -> bool:
        self.applied.append(settings)
        return True


class FolderOpener(QObject):
    """Where QDesktopServices sends file:// URLs while the test runs (no file manager)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def _photo(path: Path, colour=(20, 120, 200), size=(40, 30)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture
def filled(window, tmp_path):
    """A gallery in tmp with results of the Canvas, a page that reuses settings, one that
    does not, and a result whose file is gone; the window opens it."""
    window.add_workspace("styles", "Styles", ReusingPage())
    window.add_workspace("plain", "Plain", QWidget())
    path = tmp_path / "gallery.sqlite3"
    window.gallery_path = path
    shots = tmp_path / "results"
    shots.mkdir()
    with Gallery(path) as gallery:
        record_result(
            "canvas",
            "canvas.fill",
            [_photo(shots / "car.png", (200, 30, 10))],
            {"prompt": "a red car by the sea", "seed": 7, "model": "sdxl-inpaint"},
            scores={"clip": 0.31},
            gallery=gallery,
        )
        record_result(
            "styles",
            "styles.make",
            [_photo(shots / "portrait.png")],
            {"prompt": "studio portrait, soft light", "seed": 42, "strength": 0.6},
            gallery=gallery,
        )
        record_result(
            "plain", "plain.make", [_photo(shots / "plain.png")], {"prompt": "x"}, gallery=gallery
        )
        gone = _photo(shots / "gone.png")
        record_result("canvas", "canvas.fill", [gone], {"prompt": "lost boat"}, gallery=gallery)
        gone.unlink()
    return window


def test_gallery_lists_searches_and_reuses(filled, qtbot, tmp_path):
    window = filled
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(
        window,
        Qt.Key.Key_G,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: getattr(window, "gallery_dialog", None) is not None)
    dialog = window.gallery_dialog
    assert dialog.isVisible() and dialog.workspace() == "canvas"  # the current workspace
    assert_unique_mnemonics(dialog)
    texts = [dialog.list.item(r).text() for r in range(dialog.list.count())]
    assert [t.splitlines()[0] for t in texts] == ["lost boat", "a red car by the sea"]
    qtbot.waitUntil(lambda: not dialog.list.item(1).icon().isNull())
    qtbot.waitUntil(lambda: not dialog.thumbs.busy)
    thumb = dialog.list.item(1).icon()
    (size,) = thumb.availableSizes()  # the picture (a placeholder is a scalable font icon)
    assert (size.width(), size.height()) == (40, 30)
    centre = thumb.pixmap(size).toImage().pixelColor(20, 15)
    assert (centre.red(), centre.green(), centre.blue()) == (200, 30, 10)

    # The newest is selected: its file is gone, so only the settings can be used.
    assert "(missing)" in dialog.details.toPlainText()
    assert not dialog.canvas_button.isEnabled() and not dialog.folder_button.isEnabled()

    # All tabs, then a search by prompt words (prefixes) typed in the box.
    qtbot.mouseClick(dialog.tabs, Qt.MouseButton.LeftButton, pos=dialog.tabs.tabRect(0).center())
    assert dialog.workspace() is None and dialog.list.count() == 4
    dialog.search.setFocus()
    qtbot.keyClicks(dialog.search, "red ca")
    assert dialog.list.count() == 1
    details = dialog.details.toPlainText()
    for fact in ("a red car by the sea", "Seed: 7", "sdxl-inpaint", "clip 0.31", "car.png"):
        assert fact in details, fact
    qtbot.keyClicks(dialog.search, "mel")
    assert dialog.list.count() == 0 and dialog.empty.isVisible()
    assert "red camel" in dialog.empty.text()
    dialog.search.clear()

    # Open in Canvas: the image opens in the Canvas, shown behind the dialog.
    dialog.search.setText("red car")
    click(qtbot, dialog.canvas_button)
    canvas = window.workspaces["canvas"]
    qtbot.waitUntil(lambda: canvas.current_image() is not None, timeout=20000)
    assert tuple(canvas.current_image()[0, 0]) == (200, 30, 10)
    assert window.current_workspace() is canvas and dialog.isVisible()

    # Show in Folder: the desktop is asked to open the result's folder.
    opener = FolderOpener()
    QDesktopServices.setUrlHandler("file", opener, "open")
    try:
        click(qtbot, dialog.folder_button)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in opener.urls] == [tmp_path / "results"]

    # Use These Settings Again on a page that takes them.
    dialog.search.setText("portrait")
    with qtbot.waitSignal(window.settings_reused) as reused:
        click(qtbot, dialog.reuse_button)
    page = window.workspaces["styles"]
    assert reused.args[0] == "styles" and window.current_workspace() is page
    assert page.applied == [reused.args[1]]
    assert page.applied[0]["prompt"] == "studio portrait, soft light"
    assert page.applied[0]["seed"] == 42 and page.applied[0]["strength"] == 0.6

    # ... and on one that cannot yet: a box says so.
    dialog.search.setText("")
    dialog.show_workspace("plain")
    click(qtbot, dialog.reuse_button)
    box = window.reuse_box
    assert box.isVisible() and box.text() == "Plain cannot reuse these settings yet."
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    # A double-click on a picture opens it in the Canvas too.
    rect = dialog.list.visualItemRect(dialog.list.item(0))
    # As a real double-click arrives: a click, then the double-click event.
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: tuple(canvas.current_image()[0, 0]) == (20, 120, 200), timeout=20000)
    assert window.current_workspace() is canvas

    # Forget Missing Files drops the result whose file is gone, in the index too.
    dialog.show_workspace("canvas")
    with qtbot.waitSignal(dialog.forgotten) as forgotten:
        click(qtbot, dialog.forget_button)
    assert len(forgotten.args[0]) == 1
    assert dialog.list.count() == 1 and "Forgot 1 result" in dialog.status.text()
    with Gallery(window.gallery_path) as gallery:
        assert [e.prompt for e in gallery.entries("canvas")] == ["a red car by the sea"]
    # File > Gallery again brings this one to the front rather than opening a second.
    assert window.open_gallery() is dialog
    screenshot = tmp_path / "gallery.png"
    assert dialog.grab().save(str(screenshot))
    click(qtbot, dialog.close_button)


def _drop(window, path: Path) -> bool:
    """Drag ``path`` over the window and drop it (QTest has no drag: the events a drag
    sends, built here); True when the window took it."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    args = (
        QPoint(300, 300),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(*args)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False  # Qt sends no drop to a window that refused the drag
    drop = QDropEvent(*args)
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def test_dropping_an_exported_image_offers_its_settings(window, qtbot, tmp_path):
    page = ReusingPage()
    window.add_workspace("styles", "Styles", page)
    exported = export_image(
        Image.new("RGB", (32, 24), (10, 200, 30)),
        tmp_path / "made.webp",
        {"workspace": "styles", "prompt": "a green field", "seed": 11},
    )
    assert _drop(window, exported)
    qtbot.waitUntil(lambda: window.drops.box is not None, timeout=10000)
    box = window.drops.box
    assert "'made.webp' was made in Styles (prompt “a green field”, seed 11)" in box.text()
    with qtbot.waitSignal(window.settings_reused):
        qtbot.mouseClick(window.drops.reuse_button, Qt.MouseButton.LeftButton)
    assert page.applied == [{"workspace": "styles", "prompt": "a green field", "seed": 11}]
    assert window.current_workspace() is page

    # The same file, opened in the Canvas instead.
    assert _drop(window, exported)
    qtbot.waitUntil(lambda: window.drops.box is not None, timeout=10000)
    qtbot.mouseClick(window.drops.open_button, Qt.MouseButton.LeftButton)
    canvas = window.workspaces["canvas"]
    qtbot.waitUntil(lambda: canvas.current_image() is not None, timeout=20000)
    assert canvas.current_image().shape == (24, 32, 3)
    assert len(page.applied) == 1


def test_dropping_a_plain_photo_opens_it_and_a_bad_file_is_named(window, qtbot, tmp_path):
    window.add_workspace("plain", "Plain", QWidget())
    window.show_workspace("plain")
    photo = _photo(tmp_path / "holiday.jpg", (250, 250, 0))
    assert _drop(window, photo)
    canvas = window.workspaces["canvas"]
    qtbot.waitUntil(lambda: canvas.current_image() is not None, timeout=20000)
    assert window.current_workspace() is canvas and window.drops.box is None

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    assert _drop(window, broken)
    qtbot.waitUntil(lambda: getattr(window, "open_problems_box", None) is not None, timeout=10000)
    text = window.open_problems_box.text()
    assert "broken.png" in text and "Traceback" not in text

    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert not _drop(window, notes)  # not an image: the window does not take it


def test_an_empty_gallery_tab_says_what_puts_a_result_there(window, qtbot, tmp_path):
    """Canvas records exports, not each edit: its empty tab says so (a new user who has just
    upscaled an image otherwise reads "Nothing made in Canvas yet" and thinks it was lost)."""
    window.gallery_path = tmp_path / "gallery.sqlite3"
    window.menus.gallery_action.trigger()
    qtbot.waitUntil(lambda: getattr(window, "gallery_dialog", None) is not None)
    dialog = window.gallery_dialog
    texts = {}
    for index in range(dialog.tabs.count()):
        qtbot.mouseClick(
            dialog.tabs, Qt.MouseButton.LeftButton, pos=dialog.tabs.tabRect(index).center()
        )
        assert dialog.empty.isVisible() and not dialog.list.isVisible()
        texts[dialog.workspace()] = dialog.empty.text()
    assert "export" in texts["canvas"] and "File → Export" in texts["canvas"]
    assert "save a frozen frame" in texts["live"]
    assert "rendered" in texts["lipsync"] and "generated" in texts["headshots"]
    assert all(word in texts[None] for word in ("Canvas", "headshot", "lipsync", "Live"))
