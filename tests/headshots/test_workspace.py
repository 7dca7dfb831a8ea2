"""The Headshots wizard offscreen over a real CPU InferenceService and tiny models, driven
only by clicks and keys on its real widgets: every button, each ending in a visible change.

The tiny models draw noise, so the scorer flags every image ("no face found"): this is also
the every-image-flagged case, end to end."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from studio.core.gallery import Gallery
from studio.pipelines.headshots import packs

SELFIES, STYLE, REVIEW, EXPORT = 0, 1, 2, 3


@pytest.fixture
def service(start_cpu_service, hs_store):
    return start_cpu_service(hs_store)  # default runners: the real headshots JOBS


@pytest.fixture
def new_workspace(qtbot, service, hs_store):
    def make():
        from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

        ws = HeadshotsWorkspace(service, hs_store)
        qtbot.addWidget(ws)
        ws.resize(1100, 750)
        ws.show()
        qtbot.waitExposed(ws)
        qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)  # past packs listed
        return ws

    return make


def _labels(ws):
    items = [ws.gallery.item(i) for i in range(ws.gallery.count())]
    return [it.text() for it in items if not it.isHidden()]


def _add_selfies(qtbot, clicks, ws, service, *paths):
    clicks.button(ws.selfie_step.add_button)
    with qtbot.waitSignal(service.job_finished, timeout=60000):
        clicks.answer_file_dialog(ws.selfie_step, *paths)


def _pick_style(qtbot, clicks, ws, count, top_k):
    clicks.tab(ws.tabs, STYLE)
    step = ws.style_step
    assert step.licence_note.isVisible() and "not for commercial use" in step.licence_note.text()
    row = step.style_box.findData("studio-white")
    clicks.item(step.style_list, step.style_list.item(row))
    assert step.style_box.currentData() == "studio-white"
    clicks.type_into(step.prompt, "navy blazer")
    clicks.type_into(step.count, str(count))
    clicks.button(step.more.toggle)  # size, refine best and upscale are folded under it
    clicks.type_into(step.image_size, "64")  # tiny models
    clicks.type_into(step.top_k, str(top_k))
    assert (step.count.value(), step.image_size.value(), step.top_k.value()) == (count, 64, top_k)
    clicks.button(step.upscale)  # off: the refined image stays at 64 px
    assert not step.upscale.isChecked()


def test_every_button_from_selfies_to_export(
    qtbot, clicks, service, new_workspace, tmp_path, photos
):
    ws = new_workspace()
    good, group = tmp_path / "me.jpg", tmp_path / "friends.jpg"
    Image.fromarray(photos["astronaut"]).save(good)
    Image.fromarray(photos["group"]).save(group)

    # 1. Selfies: checked at once; the group photo is rejected, saying why. Clear empties.
    _add_selfies(qtbot, clicks, ws, service, good, group)
    step1 = ws.selfie_step
    assert [step1.list.item(i).text().split("\n")[0] for i in range(2)] == [
        "✓ me.jpg",
        "✗ friends.jpg",
    ]
    assert "faces found in friends.jpg" in step1.status.text()
    clicks.button(step1.clear_button)
    assert step1.list.count() == 0 and ws.selfies == []
    _add_selfies(qtbot, clicks, ws, service, good)
    assert step1.status.text() == "1 of 1 selfie(s) ready."

    # 2. Style and sizes, by clicks and typing.
    _pick_style(qtbot, clicks, ws, count=3, top_k=1)

    # 3. Generate: drafts stream in (numbered from #1) and cannot be re-rolled yet.
    clicks.tab(ws.tabs, REVIEW)
    while_drafting = []

    def on_progress(job, update):
        if update.stage == "Drafts" and update.preview is not None and not while_drafting:
            draft = ws.gallery.item(ws.gallery.count() - 1)
            clicks.item(ws.gallery, draft)
            while_drafting.append(
                (
                    draft.text(),
                    draft.isSelected(),
                    ws.reroll_button.isEnabled(),
                    ws.generate_button.isEnabled(),
                    ws.cancel_button.isEnabled(),
                    ws.past.isEnabled(),
                    ws.progress.isVisible(),
                )
            )

    service.job_progress.connect(on_progress)
    with qtbot.waitSignal(service.job_finished, timeout=180000) as finished:
        clicks.button(ws.generate_button)
        assert ws.note.text() == "Generating 3 image(s)…"
    service.job_progress.disconnect(on_progress)
    assert while_drafting == [("#1\nscoring…", True, False, False, True, False, True)]
    result = finished.args[1]
    qtbot.waitUntil(lambda: not ws.workers.busy and not ws.gallery.workers.busy, timeout=30000)

    # The finished pack is in the gallery: best first, with its settings, scores and models.
    with Gallery() as gallery:
        (entry,) = gallery.entries("headshots")
    ranked = ws.pack.ranked()
    assert (entry.workspace, entry.kind, entry.prompt) == ("headshots", "pack", ws.pack.prompt)
    assert "navy blazer" in entry.prompt and entry.settings["style"] == "studio-white"
    assert entry.outputs == [str(ws.pack.path(im.final or im.draft).resolve()) for im in ranked]
    assert entry.settings["ranking"] == [f"#{im.index + 1}" for im in ranked]
    assert sorted(entry.scores) == ["#1", "#2", "#3"] and entry.seed == ws.pack.settings["seed"]
    assert len(entry.models["instantid"]) == 64  # installed: recorded with its hash

    # Every image flagged: shown, badged, with the reason; one numbering from #1.
    assert ws.pack is not None and len(ws.pack.images) == 3
    settings = ws.pack.settings  # what the Style step's clicks and keys chose
    assert (settings["size"], settings["count"], settings["refine_top_k"]) == (64, 3, 1)
    assert settings["upscale"] is False and "navy blazer" in ws.pack.prompt
    assert not ws.hide_flagged.isChecked() and sorted(ws.visible_indices()) == [0, 1, 2]
    assert ws.note.text().startswith("All 3 images were flagged (no face found: 3")
    assert "and are marked ⚠." in ws.note.text()
    labels = _labels(ws)
    assert sorted(label.split(" ·")[0] for label in labels) == ["#1", "#2", "#3"]
    assert all("\n⚠ no face found" in label for label in labels)
    assert sum("★" in label for label in labels) == 1  # refine best 1
    assert not any("-0.00" in label for label in labels)
    assert ws.past.count() == 1 and ws.past.itemText(0).startswith("Studio white · ")
    assert ws.past.itemText(0).endswith(" · 3 images, 3 flagged")
    assert ws.generate_button.isEnabled() and not ws.cancel_button.isEnabled()
    assert not ws.progress.isVisible()
    for i in range(3):  # thumbnails decoded on a worker, arrived
        icon = ws.gallery.item(i).icon().pixmap(160).toImage()
        assert icon.width() == 160 or icon.height() == 160
        assert icon.pixelColor(icon.width() // 2, icon.height() // 2).alpha() == 255

    # Hide flagged hides them all, and the note says where they went; shown again.
    clicks.button(ws.hide_flagged)
    assert ws.visible_indices() == [] and "untick Hide flagged" in ws.note.text()
    clicks.button(ws.hide_flagged)
    assert sorted(ws.visible_indices()) == [0, 1, 2]

    # Re-roll the middle image: a new seed, the same number, the same place, still selected.
    assert not ws.reroll_button.isEnabled()  # nothing selected
    order = [ws.gallery.item(r).data(256) for r in range(3)]  # Qt.ItemDataRole.UserRole
    middle = ws.gallery.item(1)
    index = middle.data(256)
    old_seed = ws.pack.image(index).seed
    clicks.item(ws.gallery, middle)
    with qtbot.waitSignal(service.job_finished, timeout=120000):
        clicks.button(ws.reroll_button)
        assert not ws.reroll_button.isEnabled()  # one re-roll at a time
        assert ws.note.text() == f"Re-rolling #{index + 1}…"
    qtbot.waitUntil(lambda: ws.pack.image(index).seed != old_seed, timeout=30000)
    assert [ws.gallery.item(r).data(256) for r in range(3)] == order
    assert ws.gallery.selected_indices() == [index] and ws.gallery.item(1).isSelected()
    assert ws.gallery.item(1).text().startswith(f"#{index + 1} · ")
    assert ws.gallery.count() == 3 and not ws.hide_flagged.isChecked()
    assert ws.note.text().startswith("All 3 images were flagged")
    assert ws.reroll_button.isEnabled()  # the selection is kept: re-roll again at once

    # 4. Export the selection into a typed folder: JPEG with metadata and a JSON sidecar.
    qtbot.waitUntil(lambda: not ws.gallery.workers.busy, timeout=30000)
    clicks.item(ws.gallery, ws.gallery.item(0))
    chosen = ws.gallery.selected_indices()
    clicks.tab(ws.tabs, EXPORT)
    step4 = ws.export_step
    assert step4.selection.text() == f"1 portrait selected: #{chosen[0] + 1}"
    out = tmp_path / "out"
    clicks.type_into(step4.folder, str(out))
    with qtbot.waitSignal(ws.exported, timeout=30000) as exported:
        clicks.button(step4.export_button)
    written = exported.args[0]
    assert written == [out / f"headshot_{chosen[0] + 1:03d}.jpg"]  # #1 is headshot_001
    assert step4.status.text() == f"Exported 1 portrait to {out}."
    image = ws.pack.image(chosen[0])
    with Image.open(written[0]) as img:
        assert img.format == "JPEG" and img.size == (64, 64)
    meta = json.loads(written[0].with_suffix(".json").read_text())
    assert meta == packs.read_embedded_metadata(written[0])
    assert (meta["style"], meta["seed"], meta["index"]) == ("studio-white", image.seed, chosen[0])
    assert "navy blazer" in meta["prompt"] and result.folder.exists()
    with Gallery() as gallery:  # the export too, recorded before it was reported done
        exports = [e for e in gallery.entries("headshots") if e.kind == "export"]
    assert [e.outputs for e in exports] == [[str(written[0].resolve())]]
    assert exports[0].seed == image.seed and "navy blazer" in exports[0].prompt

    # Past packs: a new window lists the pack and opens it with a keypress on the box.
    again = new_workspace()
    clicks.tab(again.tabs, REVIEW)
    assert again.gallery.count() == 0 and again.past.count() == 1
    clicks.choose_in_combo(again.past, 0)
    qtbot.waitUntil(lambda: again.gallery.count() == 3, timeout=10000)
    assert again.pack.folder == ws.pack.folder and not again.hide_flagged.isChecked()


def test_cancel_keeps_finished_images(qtbot, clicks, service, new_workspace, tmp_path, photos):
    ws = new_workspace()
    good = tmp_path / "me.jpg"
    Image.fromarray(photos["astronaut"]).save(good)
    _add_selfies(qtbot, clicks, ws, service, good)
    _pick_style(qtbot, clicks, ws, count=6, top_k=0)
    clicks.tab(ws.tabs, REVIEW)

    def cancel_after_first(job, update):
        if update.stage == "Drafts" and update.done == 1 and ws.cancel_button.isEnabled():
            clicks.button(ws.cancel_button)

    service.job_progress.connect(cancel_after_first)
    with qtbot.waitSignal(service.job_cancelled, timeout=120000):
        clicks.button(ws.generate_button)
    qtbot.waitUntil(lambda: ws.pack is not None and not ws.workers.busy, timeout=30000)
    assert ws.note.text().startswith("Cancelled: finished images are kept. ")
    assert 1 <= len(ws.pack.images) < 6 and ws.gallery.count() == len(ws.pack.images)
    assert ws.generate_button.isEnabled() and not ws.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: ws.past.count() == 1, timeout=10000)
    assert ws.past.itemText(0).endswith("(unfinished)")
