"""Headshots and the gallery that remembers, over a real CPU service and an EMPTY model store
(saved packs): an export is recorded with its settings, a gallery that cannot be written
never stops an export, and Open in Canvas (button or context menu) hands the portrait's
pixels on. The pack itself is recorded in test_workspace.py (tiny models)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from studio.core import paths
from studio.core.gallery import Gallery, default_gallery_path
from studio.core.imageio import load_image

REVIEW, EXPORT = 2, 3


@pytest.fixture
def workspace(qtbot, start_cpu_service, store):
    from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

    ws = HeadshotsWorkspace(start_cpu_service(store), store)
    qtbot.addWidget(ws)
    ws.resize(1100, 720)
    ws.show()
    qtbot.waitExposed(ws)
    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    return ws


def _open_pack(qtbot, clicks, ws, make_pack, images):
    pack = make_pack(paths.headshot_packs_dir(), images)
    ws.refresh_past_packs()
    qtbot.waitUntil(lambda: ws.past.count() == 1, timeout=10000)
    clicks.tab(ws.tabs, REVIEW)
    clicks.choose_in_combo(ws.past, 0)
    qtbot.waitUntil(lambda: ws.pack is not None and not ws.workers.busy, timeout=10000)
    qtbot.waitUntil(lambda: not ws.gallery.workers.busy, timeout=10000)
    return pack


def _row_of(ws, index):
    return next(r for r in range(ws.gallery.count()) if ws.gallery.item(r).data(256) == index)


def _export(qtbot, clicks, ws, folder):
    clicks.tab(ws.tabs, EXPORT)
    clicks.type_into(ws.export_step.folder, str(folder))
    with qtbot.waitSignal(ws.exported, timeout=20000) as exported:
        clicks.button(ws.export_step.export_button)
    return exported.args[0]


def test_an_export_is_in_the_gallery_with_its_settings(
    qtbot, clicks, workspace, make_pack, tmp_path
):
    ws = workspace
    pack = _open_pack(qtbot, clicks, ws, make_pack, [([], 0.5), ([], 0.9), (["blurred"], 0.2)])
    clicks.item(ws.gallery, ws.gallery.item(_row_of(ws, 1)))
    clicks.item(ws.gallery, ws.gallery.item(_row_of(ws, 0)), ctrl=True)
    written = _export(qtbot, clicks, ws, tmp_path / "out")
    assert sorted(p.name for p in written) == ["headshot_001.jpg", "headshot_002.jpg"]

    # recorded on the export's worker, before the export was reported done
    with Gallery() as gallery:
        entries = gallery.entries("headshots")
        assert len(entries) == 1
        entry = entries[0]
        assert (entry.workspace, entry.kind) == ("headshots", "export")
        assert entry.prompt == "a professional headshot" == pack.prompt
        assert sorted(entry.outputs) == sorted(str(p.resolve()) for p in written)
        assert entry.seed in (1000, 1001)  # the first exported image's own seed
        assert sorted(entry.settings["seeds"]) == [1000, 1001]
        assert entry.settings["style"] == "studio-white"
        assert entry.settings["pack_folder"] == str(pack.folder)
        assert entry.scores == {"#1": 0.5, "#2": 0.9}
        assert set(entry.models) == {"realvisxl-v4-lightning", "instantid"}  # not installed: ""
        assert gallery.search("professional", "headshots")[0].id == entry.id
    assert default_gallery_path().is_relative_to(paths.data_dir())  # the test's own home


def test_a_gallery_that_cannot_be_written_never_stops_an_export(
    qtbot, clicks, workspace, make_pack, tmp_path, caplog
):
    ws = workspace
    default_gallery_path().parent.mkdir(parents=True, exist_ok=True)
    default_gallery_path().write_bytes(b"not a database" * 100)  # a damaged gallery file
    _open_pack(qtbot, clicks, ws, make_pack, [([], 0.5)])
    clicks.item(ws.gallery, ws.gallery.item(0))
    with caplog.at_level(logging.WARNING, logger="studio.ui.workspaces.headshots.recording"):
        written = _export(qtbot, clicks, ws, tmp_path / "out")
    assert [p.name for p in written] == ["headshot_001.jpg"] and written[0].is_file()
    assert ws.export_step.status.text() == f"Exported 1 portrait to {tmp_path / 'out'}."
    assert any("could not record" in r.getMessage() for r in caplog.records)


def test_open_in_canvas_hands_on_the_selected_portrait(qtbot, clicks, workspace, make_pack):
    ws = workspace
    pack = _open_pack(qtbot, clicks, ws, make_pack, [([], 0.5), ([], 0.9), ([], 0.7)])
    button = ws.review.canvas_button
    assert button.isVisible() and not button.isEnabled()  # nothing selected
    clicks.item(ws.gallery, ws.gallery.item(_row_of(ws, 0)))
    clicks.item(ws.gallery, ws.gallery.item(_row_of(ws, 2)), ctrl=True)
    assert not button.isEnabled()  # one portrait at a time
    clicks.item(ws.gallery, ws.gallery.item(_row_of(ws, 2)))
    assert button.isEnabled()

    with qtbot.waitSignal(ws.open_in_canvas, timeout=10000) as sent:
        clicks.button(button)
    image = sent.args[0]
    expected = np.asarray(load_image(pack.path(pack.image(2).draft), "RGB"))
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8
    assert image.shape == (64, 64, 3) and np.array_equal(image, expected)
    assert abs(int(image[..., 1].mean()) - 90) <= 3  # the third draft's colour

    # the same from the portrait's context menu
    row = _row_of(ws, 1)
    clicks.item(ws.gallery, ws.gallery.item(row))
    chosen = []

    def choose_in_menu():
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, choose_in_menu)
            return
        action = next(a for a in menu.actions() if a.text() == "Open in Canvas")
        chosen.append(action.isEnabled())
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())

    QTimer.singleShot(0, choose_in_menu)
    centre = ws.gallery.visualItemRect(ws.gallery.item(row)).center()
    viewport = ws.gallery.viewport()
    # what a right click on the portrait brings (offscreen, QTest's right click brings none)
    menu_event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, centre, viewport.mapToGlobal(centre)
    )
    with qtbot.waitSignal(ws.open_in_canvas, timeout=10000) as sent:
        QApplication.sendEvent(viewport, menu_event)
    assert chosen == [True]
    expected = np.asarray(load_image(pack.path(pack.image(1).draft), "RGB"))
    assert np.array_equal(sent.args[0], expected)
