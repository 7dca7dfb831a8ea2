"""Every shipped style has an illustrative thumbnail, and the wizard's Style step shows it."""

from __future__ import annotations

import json
import os

from PIL import Image

from studio.pipelines.headshots import styles


def test_every_style_has_a_256px_thumbnail():
    packs = styles.list_styles()
    assert len(packs) >= 12
    for s in packs:
        assert s.thumbnail is not None and s.thumbnail.is_file(), s.id
        assert s.thumbnail.parent.name == "thumbs"
        assert s.thumbnail.stat().st_size < 30_000, s.id
        with Image.open(s.thumbnail) as img:
            img.load()
            assert img.size == (256, 256), s.id


def test_missing_or_unset_thumbnail_is_none(tmp_path):
    base = {"prompt": "a headshot, {custom}", "negative_prompt": "blurry"}
    (tmp_path / "a.json").write_text(json.dumps({**base, "name": "A", "thumbnail": "nope.png"}))
    (tmp_path / "b.json").write_text(json.dumps({**base, "name": "B", "thumbnail": None}))
    (tmp_path / "c.json").write_text(json.dumps({**base, "name": "C", "thumbnail": "c.png"}))
    Image.new("RGB", (8, 8)).save(tmp_path / "c.png")
    found = {s.name: s.thumbnail for s in styles.list_styles(tmp_path)}
    assert found == {"A": None, "B": None, "C": tmp_path / "c.png"}


def test_style_step_shows_a_thumbnail_per_style(qtbot, clicks, store, start_cpu_service):
    from PySide6.QtCore import Qt

    from studio.ui.workspaces.headshots import workspace as headshots

    ws = headshots.HeadshotsWorkspace(start_cpu_service(store), store)
    qtbot.addWidget(ws)
    ws.resize(1100, 700)
    ws.tabs.setCurrentIndex(1)
    ws.show()
    qtbot.waitExposed(ws)

    packs = styles.list_styles()
    items = [ws.style_step.style_list.item(i) for i in range(ws.style_step.style_list.count())]
    assert [it.text() for it in items] == [s.name for s in packs] + ["Custom prompt"]
    for it, s in zip(items[:-1], packs, strict=True):
        assert it.data(Qt.ItemDataRole.UserRole) == s.id
        assert not it.icon().isNull(), s.id
        assert not it.icon().pixmap(104, 104).isNull()

    # the list and the combo box pick the same style, either way round
    step = ws.style_step
    clicks.item(step.style_list, step.style_list.item(2))
    assert step.style_box.currentData() == packs[2].id
    clicks.choose_in_combo(step.style_box, step.style_box.findData("custom"))
    assert step.style_list.currentItem().data(Qt.ItemDataRole.UserRole) == "custom"
    clicks.choose_in_combo(step.style_box, step.style_box.findData("studio-white"))
    assert step.style_list.currentItem().data(Qt.ItemDataRole.UserRole) == "studio-white"
    assert ws.build_request().style == "studio-white"

    if os.environ.get("STUDIO_SCREENSHOT"):
        ws.grab().save(os.environ["STUDIO_SCREENSHOT"])
