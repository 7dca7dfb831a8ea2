"""Portrait formats and face detail's before/after in the Headshots review, over saved packs (no
models): tiles at the pack's format with the whole portrait (never cropped), Show before on
the selected portraits with their flags kept, and an export at the pack's format."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication

from studio.core import paths
from studio.pipelines.headshots import packs
from tests.ui.fit_check import layout_problems
from tests.ui.shell.harness import window  # noqa: F401 - the fixture

REVIEW, EXPORT = 2, 3
INDEX, SHOWN = 256, 258  # Qt.ItemDataRole.UserRole (+2)
TOP, BOTTOM = (220, 30, 30), (30, 30, 220)  # stripes across every portrait's top and bottom
DRAFT, FINAL, BEFORE = (90, 90, 90), (40, 170, 40), (170, 40, 170)  # their middles
ORANGE = (214, 120, 0)  # the flag badge


def _portrait(middle: tuple[int, int, int], width: int = 64, height: int = 80) -> np.ndarray:
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = middle
    pixels[:8], pixels[-8:] = TOP, BOTTOM
    return pixels


def _pack_4x5() -> packs.Pack:
    """#1 refined with face detail, #2 the same but flagged, #3 a draft only."""
    folder = paths.headshot_packs_dir() / "portrait-pack"
    pack = packs.Pack(
        folder=folder,
        style="studio-white",
        prompt="a professional headshot",
        negative_prompt="",
        settings={"size": 64, "aspect": "4:5", "width": 64, "height": 80, "face_detail": 0.5},
        models={"base": "realvisxl-v4-lightning", "face_detail": "restoreformer"},
        selfies=[],
        complete=True,
    )
    for i, flags in enumerate(([], ["blurred"], [])):
        image = packs.PackImage(
            index=i,
            seed=50 + i,
            draft=f"drafts/{i:03d}.jpg",
            latent=f"latents/{i:03d}.npy",
            id_score=0.9 - 0.1 * i,
            face_found=True,
            flags=flags,
        )
        packs.write_image(_portrait(DRAFT), folder / image.draft, quality=95)
        if i < 2:
            image.final = f"final/{i:03d}.jpg"
            image.before_face_detail = f"before_face_detail/{i:03d}.jpg"
            packs.write_image(_portrait(FINAL), folder / image.final, quality=95)
            packs.write_image(_portrait(BEFORE), folder / image.before_face_detail, quality=95)
        pack.images.append(image)
    pack.save()
    return pack


@pytest.fixture
def workspace(qtbot, start_cpu_service, store):
    from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

    _pack_4x5()
    ws = HeadshotsWorkspace(start_cpu_service(store), store)
    qtbot.addWidget(ws)
    ws.resize(1100, 720)
    ws.show()
    qtbot.waitExposed(ws)
    qtbot.waitUntil(lambda: not ws.workers.busy and ws.past.count() == 1, timeout=10000)
    return ws


def _near(colour, expected, tolerance=14) -> bool:
    got = (colour.red(), colour.green(), colour.blue())
    return all(abs(a - b) <= tolerance for a, b in zip(got, expected, strict=True))


def _item(ws, index):
    return next(ws.gallery.item(r) for r in range(3) if ws.gallery.item(r).data(INDEX) == index)


def _icon(item):
    (size,) = item.icon().availableSizes()
    return size, item.icon().pixmap(size).toImage()


def _settled(qtbot, ws):
    qtbot.waitUntil(lambda: not ws.gallery.workers.busy, timeout=10000)


def test_portraits_show_whole_at_their_format_and_compare_before_face_detail(
    qtbot, clicks, workspace, tmp_path
):
    ws = workspace
    clicks.tab(ws.tabs, REVIEW)
    assert not ws.review.compare_button.isEnabled()  # no pack yet
    clicks.choose_in_combo(ws.past, 0)
    qtbot.waitUntil(lambda: ws.pack is not None and ws.gallery.count() == 3, timeout=10000)
    _settled(qtbot, ws)

    # 4:5 tiles: 128 x 160, the whole portrait (its top and bottom stripes) in each
    assert ws.gallery.iconSize() == QSize(128, 160)
    for index, middle in ((0, FINAL), (1, FINAL), (2, DRAFT)):
        size, image = _icon(_item(ws, index))
        assert size == QSize(128, 160), index
        assert _near(image.pixelColor(64, 2), TOP) and _near(image.pixelColor(100, 157), BOTTOM)
        assert _near(image.pixelColor(64, 80), middle), index
    # on screen too: the tile's middle column is the portrait, beside it the view's background
    shot = ws.gallery.viewport().grab().toImage()
    rect = ws.gallery.visualItemRect(_item(ws, 2))
    left = rect.center().x() - 64
    assert _near(shot.pixelColor(left + 4, rect.top() + 3), TOP, 30)
    assert not _near(shot.pixelColor(left - 6, rect.top() + 3), TOP, 30)

    # Show before: the selected portraits with a before copy show it; the flag badge stays
    compare = ws.review.compare_button
    assert compare.isEnabled() and not compare.isChecked()
    clicks.item(ws.gallery, _item(ws, 0))
    clicks.button(compare)
    _settled(qtbot, ws)
    assert compare.isChecked() and ws.action_enabled("before_after")
    assert _near(_icon(_item(ws, 0))[1].pixelColor(64, 80), BEFORE)
    assert _item(ws, 0).text() == "#1 ◐ before face detail"
    assert _near(_icon(_item(ws, 1))[1].pixelColor(64, 80), FINAL)  # not selected
    clicks.item(ws.gallery, _item(ws, 1), ctrl=True)
    _settled(qtbot, ws)
    flagged = _icon(_item(ws, 1))[1]
    assert _near(flagged.pixelColor(64, 80), BEFORE) and _near(flagged.pixelColor(12, 20), ORANGE)
    assert _item(ws, 1).text() == "#2 ◐ before face detail\n⚠ blurred"

    # a portrait without face detail selected alone: the others show as finished again
    clicks.item(ws.gallery, _item(ws, 2))
    _settled(qtbot, ws)
    assert [_near(_icon(_item(ws, i))[1].pixelColor(64, 80), FINAL) for i in (0, 1)] == [
        True,
        True,
    ]
    assert _item(ws, 2).text() == "#3 · id 0.70"

    # export while comparing writes the finished portrait, at the pack's format
    clicks.item(ws.gallery, _item(ws, 0))
    _settled(qtbot, ws)
    assert _near(_icon(_item(ws, 0))[1].pixelColor(64, 80), BEFORE)
    clicks.tab(ws.tabs, EXPORT)
    clicks.type_into(ws.export_step.folder, str(tmp_path / "out"))
    with qtbot.waitSignal(ws.exported, timeout=20000) as exported:
        clicks.button(ws.export_step.export_button)
    [written] = exported.args[0]
    with Image.open(written) as img:
        assert img.size == (64, 80)
        middle = img.convert("RGB").getpixel((32, 40))
    assert all(abs(a - b) <= 14 for a, b in zip(middle, FINAL, strict=True))

    # Show before again off: the selected portrait is the finished one
    clicks.tab(ws.tabs, REVIEW)
    clicks.button(compare)
    _settled(qtbot, ws)
    assert not compare.isChecked()
    assert _near(_icon(_item(ws, 0))[1].pixelColor(64, 80), FINAL)
    assert _item(ws, 0).text() == "#1 · id 0.90 ★"


def test_view_before_after_in_the_window_toggles_show_before(qtbot, clicks, window):  # noqa: F811
    pack = _pack_4x5()
    window.resize(1366, 768)
    window.show_workspace("headshots")
    ws = window.workspaces["headshots"]
    action = window.menus.actions["before_after"]
    clicks.tab(ws.tabs, REVIEW)
    assert not action.isEnabled()  # no pack
    assert ws.open_path(pack.folder)  # File > Open Recent's way in
    qtbot.waitUntil(lambda: ws.gallery.count() == 3 and not ws.workers.busy, timeout=10000)
    _settled(qtbot, ws)
    assert action.isEnabled()  # the pack has before copies
    clicks.item(ws.gallery, _item(ws, 0))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(ws.gallery, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert ws.review.compare_button.isChecked()
    _settled(qtbot, ws)
    assert _near(_icon(_item(ws, 0))[1].pixelColor(64, 80), BEFORE)
    assert layout_problems(window) == []  # the review page fits with Show before
    qtbot.keyClick(ws.gallery, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert not ws.review.compare_button.isChecked()
