"""The Headshots wizard's Back / Next, export from the review page, one numbering and the
window's menu contract, over a real CPU service and an EMPTY model store (the selfie check
needs no download; packs are saved ones), driven by clicks and keys on the real widgets."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from studio.core import paths
from tests.ui.mnemonics import assert_unique_mnemonics

SELFIES, STYLE, REVIEW, EXPORT = 0, 1, 2, 3


@pytest.fixture
def service(start_cpu_service, store):
    return start_cpu_service(store)


@pytest.fixture
def workspace(qtbot, service, store):
    from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

    ws = HeadshotsWorkspace(service, store)
    qtbot.addWidget(ws)
    ws.resize(1100, 720)
    ws.show()
    qtbot.waitExposed(ws)
    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    return ws


def _alt(qtbot, ws, key, then_page):
    """Alt+letter where the user's focus is; a mnemonic animates the click, so wait for it."""
    with qtbot.waitActive(ws):  # as a user's window is (a file dialog just closed over it)
        ws.activateWindow()
    qtbot.keyClick(ws.focusWidget() or ws, key, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: ws.tabs.currentIndex() == then_page, timeout=5000)


def test_back_and_next_walk_the_pages_and_say_why_next_waits(
    qtbot, clicks, workspace, service, make_pack, tmp_path, photos
):
    ws, nav = workspace, workspace.nav
    pack = make_pack(paths.headshot_packs_dir(), [([], 0.7), ([], 0.6), (["blurred"], 0.2)])
    ws.refresh_past_packs()
    qtbot.waitUntil(lambda: ws.past.count() == 1, timeout=10000)

    # 1. Selfies: nothing added yet, Next waits and says why; Back has nowhere to go
    assert ws.tabs.currentIndex() == SELFIES
    assert not nav.back_button.isEnabled()
    assert not nav.next_button.isEnabled()
    assert nav.next_button.toolTip() == "Add at least one selfie first."
    assert nav.hint.isVisible() and nav.hint.text() == "Add at least one selfie first."
    me = tmp_path / "me.jpg"
    Image.fromarray(photos["astronaut"]).save(me)
    clicks.button(ws.selfie_step.add_button)
    with qtbot.waitSignal(service.job_finished, timeout=60000):
        clicks.answer_file_dialog(ws.selfie_step, me)
        assert nav.next_button.toolTip() == "Wait for the selfie check to finish."
    assert nav.next_button.isEnabled() and nav.hint.text() == ""
    clicks.button(nav.next_button)
    assert ws.tabs.currentIndex() == STYLE and nav.back_button.isEnabled()

    # 2. Style: the custom style needs a prompt before Next goes on
    step = ws.style_step
    custom = step.style_box.findData("custom")
    clicks.item(step.style_list, step.style_list.item(custom))
    assert not nav.next_button.isEnabled()
    assert nav.next_button.toolTip() == "Describe the headshot you want in Prompt first."
    clicks.type_into(step.prompt, "a portrait in a library")
    assert nav.next_button.isEnabled()
    _alt(qtbot, ws, Qt.Key.Key_N, then_page=REVIEW)  # Alt+N: the Next mnemonic

    # 3. Review: a pack, then a selection, before Export
    assert nav.next_button.toolTip() == "Generate or open a pack first."
    clicks.choose_in_combo(ws.past, 0)
    qtbot.waitUntil(lambda: ws.pack is not None and not ws.workers.busy, timeout=10000)
    assert ws.pack.folder == pack.folder
    assert not nav.next_button.isEnabled()
    assert nav.next_button.toolTip() == "Select the portraits to export first."
    clicks.item(ws.gallery, ws.gallery.item(1))
    assert nav.next_button.isEnabled()
    # every button and labelled field on the page has its own Alt letter, none of the menus'
    letters = assert_unique_mnemonics(ws, skip=("",))  # blank form labels: nothing to press
    assert not set(letters) & set("ftvhe")  # File, Tools, View, Help, Edit
    clicks.button(nav.next_button)

    # 4. Export: the last page; Back (and Alt+B) walk back
    assert ws.tabs.currentIndex() == EXPORT
    assert not nav.next_button.isEnabled() and nav.next_button.toolTip() == "This is the last step."
    assert ws.export_step.selection.text() == "1 portrait selected: #2"
    clicks.button(nav.back_button)
    assert ws.tabs.currentIndex() == REVIEW
    _alt(qtbot, ws, Qt.Key.Key_B, then_page=STYLE)
    _alt(qtbot, ws, Qt.Key.Key_B, then_page=SELFIES)
    assert not nav.back_button.isEnabled()


def test_export_from_the_review_numbers_files_as_shown_and_notifies(
    qtbot, clicks, workspace, make_pack, tmp_path
):
    ws = workspace
    make_pack(paths.headshot_packs_dir(), [([], 0.5), (["duplicate"], 0.1), ([], 0.9)])
    ws.refresh_past_packs()
    qtbot.waitUntil(lambda: ws.past.count() == 1, timeout=10000)
    clicks.tab(ws.tabs, REVIEW)
    assert not ws.action_enabled("export") and not ws.review.export_button.isEnabled()
    clicks.choose_in_combo(ws.past, 0)
    qtbot.waitUntil(lambda: ws.pack is not None and not ws.workers.busy, timeout=10000)
    qtbot.waitUntil(lambda: not ws.gallery.workers.busy, timeout=10000)

    # best first: index 2 (#3) leads; the flagged #2 is shown, badged, last
    labels = [ws.gallery.item(i).text() for i in range(3)]
    assert [label.split(" ·")[0] for label in labels] == ["#3", "#1", "#2"]
    assert labels[2].endswith("⚠ near duplicate")
    clicks.item(ws.gallery, ws.gallery.item(0))
    clicks.item(ws.gallery, ws.gallery.item(2), ctrl=True)
    assert ws.action_enabled("export") and ws.action_enabled("export_as")

    # Export on the review page: no folder yet, so it asks for one, then writes there
    out = tmp_path / "portraits"
    out.mkdir()
    notes = []
    ws.notify.connect(notes.append)
    clicks.button(ws.review.export_button)
    with qtbot.waitSignal(ws.exported, timeout=20000) as exported:
        clicks.answer_file_dialog(ws.export_step, out)
    written = exported.args[0]
    # the file names carry the numbers the gallery shows: #3 -> 003, #2 -> 002
    assert sorted(p.name for p in written) == ["headshot_002.jpg", "headshot_003.jpg"]
    assert notes == [f"Exported 2 portraits to {out}"]
    assert ws.note.text() == f"Exported 2 portraits to {out}."  # said where it was asked
    assert ws.tabs.currentIndex() == REVIEW

    # File > Export (the window's Ctrl+E) exports again into the same folder
    clicks.item(ws.gallery, ws.gallery.item(1))
    with qtbot.waitSignal(ws.exported, timeout=20000) as exported:
        ws.run_action("export")
    assert [p.name for p in exported.args[0]] == ["headshot_001.jpg"]
    assert notes[-1] == f"Exported 1 portrait to {out}"


def test_menu_contract_select_open_and_shortcuts(qtbot, clicks, workspace, make_pack, tmp_path):
    ws = workspace
    pack = make_pack(paths.headshot_packs_dir(), [([], 0.5), ([], 0.4), (["blurred"], 0.1)])
    changed, opened = [], []
    ws.actions_changed.connect(lambda: changed.append(1))
    ws.opened_file.connect(opened.append)
    assert ws.action_enabled("open") and not ws.action_enabled("undo")
    assert not ws.action_enabled("select_all")  # the Selfies page has nothing to select
    keys = dict(ws.shortcut_list())
    assert keys["Alt+N"] == "Next step of the wizard" and "Ctrl+E" in keys

    # Open Recent on a pack folder opens it in the review
    assert ws.open_path(pack.folder)
    qtbot.waitUntil(lambda: ws.pack is not None and not ws.workers.busy, timeout=10000)
    assert ws.tabs.currentIndex() == REVIEW and ws.gallery.count() == 3
    assert not ws.open_path(tmp_path / "notes.txt")
    assert changed  # the window re-reads the actions as pages and packs change

    assert ws.action_enabled("select_all")
    ws.run_action("select_all")
    assert sorted(ws.gallery.selected_indices()) == [0, 1, 2]
    clicks.item(ws.gallery, ws.gallery.item(0))
    ws.run_action("invert_selection")
    assert sorted(ws.gallery.selected_indices()) == [1, 2]
    clicks.button(ws.hide_flagged)  # hidden images are never selected
    ws.run_action("select_none")
    ws.run_action("select_all")
    assert sorted(ws.gallery.selected_indices()) == [0, 1]

    # a past pack chosen in the box is offered for File > Open Recent
    ws.refresh_past_packs()
    qtbot.waitUntil(lambda: ws.past.count() == 1, timeout=10000)
    clicks.choose_in_combo(ws.past, 0)
    assert opened == [str(pack.folder)]
