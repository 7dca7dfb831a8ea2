"""The Headshots workspace in the real main window at 1366x768: every wizard page fits (no
side panel scroll bar, no cut button text), with a pack open in the review, and the Style
step with More options open and face detail's install hint shown."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.core import paths
from tests.ui.fit_check import layout_problems
from tests.ui.shell.harness import window  # noqa: F401 - the fixture


def test_every_wizard_page_fits_1366x768(qtbot, clicks, window, make_pack):  # noqa: F811
    pack = make_pack(paths.headshot_packs_dir(), [([], 0.7), (["blurred"], 0.1)] * 4)
    window.resize(1366, 768)
    nav = window.nav
    row = [nav.item(r).text() for r in range(nav.count())].index("Headshots")
    qtbot.mouseClick(
        nav.viewport(), Qt.MouseButton.LeftButton, pos=nav.visualItemRect(nav.item(row)).center()
    )
    ws = window.workspaces["headshots"]
    qtbot.waitUntil(ws.isVisible)
    assert ws.open_path(pack.folder)
    qtbot.waitUntil(lambda: ws.gallery.count() == 8 and not ws.workers.busy, timeout=10000)
    for page in range(ws.tabs.count()):
        clicks.tab(ws.tabs, page)
        assert ws.nav.isVisible() and ws.nav.next_button.isVisible()
        assert layout_problems(window) == [], ws.tabs.tabText(page)
    clicks.tab(ws.tabs, 1)
    step = ws.style_step
    clicks.button(step.more.toggle)
    assert step.more.panel.isVisible() and step.face_detail.hint.isVisible()
    assert layout_problems(window) == []
    assert step.height() >= step.minimumSizeHint().height()  # nothing squeezed over
