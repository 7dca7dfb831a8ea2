"""The Headshots review and export over saved packs (no models needed): flagged images,
numbering, scores, past packs, exports, all driven by clicks on the real widgets."""

from __future__ import annotations

import json
import threading
import time

import pytest
from PIL import Image

from studio.core import paths
from studio.pipelines.headshots import packs

REVIEW, EXPORT = 2, 3


@pytest.fixture
def open_workspace(qtbot, start_cpu_service, store):
    """``open_workspace()``: a workspace over a real CPU service and an empty model store,
    once it has listed the saved packs."""
    service = start_cpu_service(store)

    def make():
        from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

        ws = HeadshotsWorkspace(service, store)
        qtbot.addWidget(ws)
        ws.resize(1000, 720)
        ws.show()
        qtbot.waitExposed(ws)
        qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
        return ws

    return make


def _open_past(qtbot, clicks, ws, row=0):
    clicks.tab(ws.tabs, REVIEW)
    clicks.choose_in_combo(ws.past, row)
    qtbot.waitUntil(lambda: ws.pack is not None and not ws.workers.busy, timeout=10000)
    qtbot.waitUntil(lambda: not ws.gallery.workers.busy, timeout=10000)  # thumbnails


def _labels(ws, visible_only=True):
    items = [ws.gallery.item(i) for i in range(ws.gallery.count())]
    return [it.text() for it in items if not (visible_only and it.isHidden())]


def _badge_colour(item):
    image = item.icon().pixmap(160).toImage()
    return image.pixelColor(12, 20)  # inside the badge (a 32 px disc at 4, 4), beside its "!"


def test_flagged_images_are_badged_without_ticking_anything_and_can_be_hidden(
    qtbot, clicks, open_workspace, make_pack
):
    pack = make_pack(
        paths.headshot_packs_dir(),
        [([], 0.71), (["no-face", "blurred"], -0.001), ([], 0.52), (["duplicate"], -0.004)],
    )
    ws = open_workspace()
    created = time.strftime("%d %b %H:%M", time.localtime(pack.created))
    assert ws.past.count() == 1
    assert ws.past.itemText(0) == f"Studio white · {created} · 4 images, 2 flagged"
    assert not ws.reroll_button.isEnabled()  # nothing open yet
    assert not ws.hide_flagged.isEnabled() and not ws.progress.isVisible()  # no job: no bar
    _open_past(qtbot, clicks, ws)

    # every image shown at once, best first, numbered from #1 (index 0 is "#1"); the flagged
    # ones carry a badge and their reason without any box ticked
    assert not ws.hide_flagged.isChecked()
    shown = _labels(ws)
    assert shown == [
        "#1 · id 0.71",
        "#3 · id 0.52",
        "#2 · id 0.00\n⚠ no face found, blurred",  # -0.001 and -0.004: no "-0.00"
        "#4 · id 0.00\n⚠ near duplicate",
    ]
    tooltips = [ws.gallery.item(i).toolTip() for i in range(4)]
    assert not any("-0.00" in t for t in shown + tooltips)
    assert ws.note.text() == (
        "2 of 4 images were flagged (no face found: 1, blurred: 1, near duplicate: 1) "
        "and are marked ⚠."
    )
    flagged_badge, plain = _badge_colour(ws.gallery.item(3)), _badge_colour(ws.gallery.item(0))
    assert (flagged_badge.red(), flagged_badge.green(), flagged_badge.blue()) == (214, 120, 0)
    assert (plain.red(), plain.blue()) != (214, 0)

    # select two images: re-roll, export and the export step follow the selection
    clicks.item(ws.gallery, ws.gallery.item(0))
    clicks.item(ws.gallery, ws.gallery.item(3), ctrl=True)
    assert sorted(ws.gallery.selected_indices()) == [0, 3]
    assert ws.reroll_button.isEnabled() and ws.review.export_button.isEnabled()
    clicks.tab(ws.tabs, EXPORT)
    assert ws.export_step.selection.text() == "2 portraits selected: #1 #4"

    # Hide flagged drops them from view and from the selection too; the note says where
    clicks.tab(ws.tabs, REVIEW)
    clicks.button(ws.hide_flagged)
    assert _labels(ws) == ["#1 · id 0.71", "#3 · id 0.52"]
    assert ws.gallery.selected_indices() == [0]
    assert ws.export_step.selection.text() == "1 portrait selected: #1"
    assert ws.note.text().endswith("and are hidden (untick Hide flagged to see them).")


def test_every_image_flagged_shows_them_with_a_message(qtbot, clicks, open_workspace, make_pack):
    root = paths.headshot_packs_dir()
    make_pack(root, [(["no-face"], 0.0)] * 3)
    ws = open_workspace()
    _open_past(qtbot, clicks, ws)

    assert not ws.hide_flagged.isChecked()
    assert ws.visible_indices() == [0, 1, 2] and ws.gallery.isVisible()
    assert ws.note.isVisible()
    assert ws.note.text() == (
        "All 3 images were flagged (no face found: 3) and are marked ⚠. "
        "Clearer selfies or another style may help."
    )
    assert _labels(ws) == [f"#{i} · id 0.00\n⚠ no face found" for i in (1, 2, 3)]

    # what the screen shows: each image's colour, its badge, not a blank review
    shot = ws.grab().toImage()
    for row in range(3):
        rect = ws.gallery.visualItemRect(ws.gallery.item(row))
        corner = ws.gallery.viewport().mapTo(ws, rect.topLeft())
        icon_left = corner.x() + (rect.width() - 160) // 2
        badge = shot.pixelColor(icon_left + 12, corner.y() + 20)
        middle = shot.pixelColor(icon_left + 80, corner.y() + 100)
        assert (badge.red(), badge.green(), badge.blue()) == (214, 120, 0)
        assert abs(middle.green() - 90) <= 3, row  # the draft's colour (R and B vary by image)

    clicks.button(ws.hide_flagged)  # the user may still hide them: then the note says where
    assert ws.visible_indices() == []
    assert ws.note.text() == (
        "All 3 images were flagged (no face found: 3) and are hidden (untick Hide flagged to "
        "see them). Clearer selfies or another style may help."
    )

    # another pack where every image is flagged opens shown, not as a blank page
    make_pack(root, [(["blurred"], 0.1)] * 2)
    ws.refresh_past_packs()
    qtbot.waitUntil(lambda: ws.past.count() == 2, timeout=10000)
    other = [r for r in range(2) if ws.past.itemData(r) != str(ws.pack.folder)][0]
    _open_past(qtbot, clicks, ws, row=other)
    assert not ws.hide_flagged.isChecked() and ws.visible_indices() == [0, 1]


def test_stepping_through_past_packs_shows_the_last_one(qtbot, clicks, open_workspace, make_pack):
    root = paths.headshot_packs_dir()
    older = make_pack(root, [([], 0.5)] * 5, style="corporate")
    newer = make_pack(root, [([], 0.5)] * 2)
    newer.created = older.created + 60
    newer.save()
    ws = open_workspace()
    assert [ws.past.itemData(i) for i in range(2)] == [str(newer.folder), str(older.folder)]
    # Down, Down: both packs are asked for in turn; whichever loads last, the second shows
    _open_past(qtbot, clicks, ws, row=1)
    assert ws.pack.folder == older.folder and ws.gallery.count() == 5
    assert ws.past.currentIndex() == 1


def test_manifests_are_read_on_a_worker(qtbot, clicks, open_workspace, make_pack, monkeypatch):
    make_pack(paths.headshot_packs_dir(), [([], 0.6), ([], 0.5)])
    threads = []
    real_load = packs.load_pack

    def load_pack(folder):
        threads.append(threading.current_thread())
        return real_load(folder)

    monkeypatch.setattr(packs, "load_pack", load_pack)  # list_packs reads through it too
    ws = open_workspace()
    _open_past(qtbot, clicks, ws)
    assert ws.gallery.count() == 2
    assert len(threads) == 2  # listing, opening
    assert threading.main_thread() not in threads


def test_licence_note_in_style_and_export_steps(qtbot, clicks, open_workspace, store):
    from studio.models.catalogue import workspace_licence

    ws = open_workspace()
    text = workspace_licence("headshots", store.catalogue).text
    assert text.startswith("Headshots: not for commercial use.") and "InstantID" in text
    clicks.tab(ws.tabs, 1)
    assert ws.style_step.licence_note.isVisible() and ws.style_step.licence_note.text() == text
    clicks.tab(ws.tabs, EXPORT)
    notes = [n for n in ws.export_step.findChildren(type(ws.note)) if n.text() == text]
    assert len(notes) == 1 and notes[0].isVisible()


def _exported(qtbot, ws, action):
    with qtbot.waitSignal(ws.exported, timeout=20000) as blocker:
        action()
    return blocker.args[0]


def test_export_to_a_typed_folder_a_chosen_folder_and_a_bad_one(
    qtbot, clicks, open_workspace, make_pack, tmp_path
):
    make_pack(paths.headshot_packs_dir(), [([], 0.8), ([], 0.6), (["blurred"], 0.3)])
    ws = open_workspace()
    step = ws.export_step

    clicks.tab(ws.tabs, EXPORT)  # nothing to export yet: Export says what to do
    clicks.button(step.export_button)
    assert step.status.text() == "Generate or open a pack first."
    _open_past(qtbot, clicks, ws)
    clicks.tab(ws.tabs, EXPORT)
    clicks.button(step.export_button)
    assert step.status.text() == "Select images in the review (step 3) first."

    clicks.tab(ws.tabs, REVIEW)
    # the first image takes a click after its thumbnail arrived while a flagged one is hidden
    clicks.button(ws.hide_flagged)
    clicks.item(ws.gallery, ws.gallery.item(0))
    clicks.item(ws.gallery, ws.gallery.item(1), ctrl=True)
    assert sorted(ws.gallery.selected_indices()) == [0, 1]

    # JPEG into a typed folder (created on export)
    clicks.tab(ws.tabs, EXPORT)
    jpeg_dir = tmp_path / "typed" / "jpeg"
    clicks.type_into(step.folder, str(jpeg_dir))

    def click_export():
        clicks.button(step.export_button)
        assert not step.export_button.isEnabled()  # until the worker is done

    written = _exported(qtbot, ws, click_export)
    # numbered as shown: #1 and #2 are headshot_001 and headshot_002
    assert sorted(p.name for p in written) == ["headshot_001.jpg", "headshot_002.jpg"]
    assert step.export_button.isEnabled()
    assert step.status.text() == f"Exported 2 portraits to {jpeg_dir}."
    for path in written:
        index = int(path.stem[-3:]) - 1
        with Image.open(path) as img:
            assert img.format == "JPEG" and img.size == (64, 64)
        meta = packs.read_embedded_metadata(path)
        sidecar = json.loads(path.with_suffix(".json").read_text())
        assert meta == sidecar
        assert sidecar["index"] == index and sidecar["seed"] == 1000 + index
        assert sidecar["style"] == "studio-white"
    assert sorted(p.name for p in jpeg_dir.iterdir()) == [
        "headshot_001.jpg",
        "headshot_001.json",
        "headshot_002.jpg",
        "headshot_002.json",
    ]

    # WebP with an empty folder field: Export asks for a folder, then exports there
    clicks.choose_in_combo(step.format, 1)
    assert step.format.currentData() == "webp"
    clicks.type_into(step.folder, "")
    webp_dir = tmp_path / "chosen"
    webp_dir.mkdir()
    clicks.button(step.export_button)
    written = _exported(qtbot, ws, lambda: clicks.answer_file_dialog(step, webp_dir))
    assert step.folder.text() == str(webp_dir)
    assert sorted(p.name for p in written) == ["headshot_001.webp", "headshot_002.webp"]
    with Image.open(written[0]) as img:
        assert img.format == "WEBP"
    assert packs.read_embedded_metadata(written[0])["index"] == int(written[0].stem[-3:]) - 1
    assert written[0].with_suffix(".json").is_file()

    # Choose… only fills the field
    other = tmp_path / "other"
    other.mkdir()
    clicks.button(step.choose_button)
    clicks.answer_file_dialog(step, other)
    assert step.folder.text() == str(other) and list(other.iterdir()) == []

    # a relative path, and a folder that cannot be made (a file is in the way)
    clicks.type_into(step.folder, "relative/folder")
    clicks.button(step.export_button)
    assert step.status.text() == "Type a full folder path, or choose a folder."
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    clicks.type_into(step.folder, str(blocker / "sub"))
    assert _exported(qtbot, ws, lambda: clicks.button(step.export_button)) == []
    assert step.status.text().startswith("Could not write") and step.export_button.isEnabled()
