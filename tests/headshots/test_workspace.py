"""The headshots wizard offscreen over a real CPU InferenceService and tiny models."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog


@pytest.fixture
def service(start_cpu_service, hs_store):
    return start_cpu_service(hs_store)  # default runners: the real headshots JOBS


@pytest.fixture
def workspace(qtbot, service, hs_store):
    from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

    ws = HeadshotsWorkspace(service, hs_store)
    qtbot.addWidget(ws)
    ws.resize(1100, 750)
    ws.show()
    qtbot.waitExposed(ws)
    return ws


def _finish(qtbot, service, action, timeout=120000):
    with qtbot.waitSignal(service.job_finished, timeout=timeout) as blocker:
        action()
    return blocker.args[1]


def test_wizard_from_selfies_to_export(qtbot, service, workspace, tmp_path, photos, monkeypatch):
    ws = workspace
    good, group = tmp_path / "me.jpg", tmp_path / "friends.jpg"
    Image.fromarray(photos["astronaut"]).save(good)
    Image.fromarray(photos["group"]).save(group)

    # 1. Selfies: checked at once; the group photo is rejected with the reason.
    _finish(qtbot, service, lambda: ws.add_selfies([good, group]))
    assert ws.selfie_list.count() == 2
    assert ws.accepted == {"me.jpg": True, "friends.jpg": False}
    assert "faces found" in ws.selfie_status.text()
    assert "non-commercial" in ws.style_step.licences.text()

    # 2. Style and sizes (tiny models: 64 px).
    step = ws.style_step
    step.style_box.setCurrentIndex(step.style_box.findData("studio-white"))
    step.count.setValue(3)
    step.image_size.setValue(64)
    step.top_k.setValue(1)
    shown = []
    service.job_progress.connect(lambda job, u: shown.append(ws.gallery.count()))

    # 3. Generate: the gallery fills while drafts arrive, then shows the reviewed pack.
    result = _finish(qtbot, service, ws.generate)
    assert max(shown) >= 1 and shown.index(1) < len(shown) - 1  # previews before the end
    assert ws.pack is not None and len(ws.pack.images) == 3
    assert ws.gallery.count() == 3
    assert ws.visible_indices() == []  # all flagged by the scorer (no faces): hidden
    ws.show_flagged.setChecked(True)
    assert sorted(ws.visible_indices()) == [0, 1, 2]
    assert ws.past.count() == 1 and ws.generate_button.isEnabled()
    ws.grab().save(str(tmp_path / "headshots.png"))
    ws.grab().save("/tmp/headshots_ui.png")

    # Re-roll the best image.
    first = ws.gallery.item(0)
    first.setSelected(True)
    index = first.data(256)  # Qt.ItemDataRole.UserRole
    old_seed = ws.pack.image(index).seed
    _finish(qtbot, service, ws.reroll)
    assert ws.pack.image(index).seed != old_seed and ws.gallery.count() == 3

    # The gallery's thumbnails are decoded on a worker and arrive after the items.
    qtbot.waitUntil(lambda: not ws.gallery.workers.busy, timeout=30000)
    for i in range(3):
        icon = ws.gallery.item(i).icon().pixmap(160).toImage()
        assert icon.width() == 160 or icon.height() == 160
        assert icon.pixelColor(icon.width() // 2, icon.height() // 2).alpha() == 255

    # 4. Export the selection: the button asks for a folder (its clicked(bool) must not be
    # taken for one) and the files are written on a worker.
    ws.gallery.item(0).setSelected(True)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "out"))
    ws.tabs.setCurrentIndex(3)
    with qtbot.waitSignal(ws.exported, timeout=30000) as exported:
        qtbot.mouseClick(ws.export_button, Qt.MouseButton.LeftButton)
        assert not ws.export_button.isEnabled()  # until the worker is done
    written = exported.args[0]
    assert ws.export_button.isEnabled()
    assert len(written) >= 1 and written[0].suffix == ".jpg"
    assert written[0].parent == tmp_path / "out" and written[0].is_file()
    assert "exported to" in ws.export_status.text()
    meta = json.loads(written[0].with_suffix(".json").read_text())
    assert meta["style"] == "studio-white" and result.folder.exists()


def test_cancel_keeps_finished_images(qtbot, service, workspace, tmp_path, photos):
    ws = workspace
    good = tmp_path / "me.jpg"
    Image.fromarray(photos["astronaut"]).save(good)
    _finish(qtbot, service, lambda: ws.add_selfies([good]))
    ws.style_step.count.setValue(6)
    ws.style_step.image_size.setValue(64)
    ws.style_step.top_k.setValue(0)

    def cancel_after_first(job, update):
        if update.stage == "Drafts" and update.done == 1:
            ws.cancel()

    service.job_progress.connect(cancel_after_first)
    with qtbot.waitSignal(service.job_cancelled, timeout=120000):
        ws.generate()
    assert "Cancelled" in ws.eta.text()
    assert ws.pack is not None and 1 <= len(ws.pack.images) < 6
    assert "unfinished" in ws.past.itemText(0)
