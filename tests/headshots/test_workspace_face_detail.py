"""A 4:5 pack with face detail made in the window on tiny models (the real loaders, a real CPU
service): the Style step's choices reach the pack, the review compares the refined portrait
before and after face detail, and a re-roll keeps the portrait's place, still compared."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QSize

from studio.pipelines.canvas.face_detail import RESTOREFORMER_ID
from tests.fixtures.face_restore_models import build_tiny_restoreformer
from tests.fixtures.install import install_copy

STYLE, REVIEW = 1, 2
INDEX, SHOWN = 256, 258  # Qt.ItemDataRole.UserRole (+2)


@pytest.fixture
def service(start_cpu_service, hs_store, tmp_path):
    install_copy(hs_store, RESTOREFORMER_ID, build_tiny_restoreformer(tmp_path / "rf").parent)
    return start_cpu_service(hs_store)


def test_a_portrait_pack_with_face_detail_compares_and_rerolls_in_place(
    qtbot, clicks, service, hs_store, tmp_path, photos
):
    from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

    ws = HeadshotsWorkspace(service, hs_store)
    qtbot.addWidget(ws)
    ws.resize(1100, 750)
    ws.show()
    qtbot.waitExposed(ws)
    me = tmp_path / "me.jpg"
    Image.fromarray(photos["astronaut"]).save(me)
    clicks.button(ws.selfie_step.add_button)
    with qtbot.waitSignal(service.job_finished, timeout=60000):
        clicks.answer_file_dialog(ws.selfie_step, me)

    clicks.tab(ws.tabs, STYLE)
    step = ws.style_step
    assert step.face_detail.switch.isChecked()  # installed: on by default, at 0.50
    clicks.button(step.format.buttons["4:5"])
    clicks.type_into(step.count, "2")
    clicks.button(step.more.toggle)
    clicks.type_into(step.image_size, "256")  # 128 x 160 at 4:5: tiny models
    clicks.type_into(step.top_k, "1")
    clicks.button(step.upscale)
    clicks.tab(ws.tabs, REVIEW)
    with qtbot.waitSignal(service.job_finished, timeout=240000):
        clicks.button(ws.generate_button)
    qtbot.waitUntil(lambda: ws.pack is not None and not ws.gallery.workers.busy, timeout=30000)

    settings = ws.pack.settings
    assert (settings["aspect"], settings["width"], settings["height"]) == ("4:5", 128, 160)
    assert settings["face_detail"] == 0.5 and settings["upscale"] is False
    [refined] = [im for im in ws.pack.images if im.final]
    assert refined.before_face_detail and ws.pack.path(refined.before_face_detail).is_file()
    assert ws.gallery.iconSize() == QSize(128, 160)
    order = [ws.gallery.item(r).data(INDEX) for r in range(ws.gallery.count())]
    row = order.index(refined.index)
    tile = ws.gallery.item(row)
    assert tile.icon().availableSizes() == [QSize(128, 160)]

    # Show before on the refined portrait: its before copy, then the finished one again
    clicks.item(ws.gallery, tile)
    clicks.button(ws.review.compare_button)
    assert tile.data(SHOWN) == f"{refined.seed} {refined.before_face_detail}"
    assert tile.text().startswith(f"#{refined.index + 1} ◐ before face detail\n⚠ ")  # flags kept

    # Re-roll it while compared: the same place, a new seed, its new before copy shown
    with qtbot.waitSignal(service.job_finished, timeout=180000):
        clicks.button(ws.reroll_button)
    qtbot.waitUntil(lambda: ws.pack.image(refined.index).seed != refined.seed, timeout=30000)
    qtbot.waitUntil(lambda: not ws.gallery.workers.busy, timeout=30000)
    assert [ws.gallery.item(r).data(INDEX) for r in range(ws.gallery.count())] == order
    again = ws.pack.image(refined.index)
    assert again.final and again.before_face_detail
    assert ws.gallery.item(row) is tile and tile.isSelected()
    assert tile.data(SHOWN) == f"{again.seed} {again.before_face_detail}"
    clicks.button(ws.review.compare_button)
    assert tile.data(SHOWN) == f"{again.seed} {again.final}"
    assert "before face detail" not in tile.text() and " ★" in tile.text()
