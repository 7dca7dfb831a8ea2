"""The Lipsync page in the real main window at 1366 x 768: nothing needs a scroll bar, no
button text is cut, the players and the buttons are on screen, also with a long file name
loaded (screenshot to $LIPSYNC_FIT_SCREENSHOT when set, for a look)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pytestqt")

from tests.lipsync.sounds import write_tone  # noqa: E402
from tests.ui.fit_check import layout_problems  # noqa: E402
from tests.ui.shell.harness import window  # noqa: E402, F401 (the fixture)


def show_page(qtbot, win, title):
    from PySide6.QtCore import Qt

    row = next(i for i in range(win.nav.count()) if win.nav.item(i).text() == title)
    rect = win.nav.visualItemRect(win.nav.item(row))
    qtbot.mouseClick(win.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.pages.currentWidget() is win.workspaces[title.lower()]
    return win.workspaces[title.lower()]


def test_lipsync_fits_1366_by_768(qtbot, window, tmp_path, avatar_files):  # noqa: F811 (the fixture)
    window.resize(1366, 768)
    page = show_page(qtbot, window, "Lipsync")
    qtbot.waitUntil(lambda: window.size().toTuple() == (1366, 768))
    assert layout_problems(window) == []

    speech = write_tone(tmp_path / ("a-rather-long-name-for-a-recording-" * 3 + ".wav"), 1.5)
    assert page.open_path(speech) and page.open_path(avatar_files[1])
    qtbot.waitUntil(lambda: page.speech.audio_label.text().endswith("(1.5 s)"), timeout=10000)
    shown = page.speech.audio_label.shown_text()  # the long name shortened, not widening
    assert "…" in shown and shown.endswith(" (1.5 s)")
    assert layout_problems(window) == []
    assert window.size().toTuple() == (1366, 768)
    central = window.centralWidget().rect()
    for widget in (
        page.generate_button,
        page.save_button,
        page.result_bar.slider,
        page.speech.player_bar.play_button,
        page.status,
    ):
        top_left = widget.mapTo(window.centralWidget(), widget.rect().topLeft())
        bottom_right = widget.mapTo(window.centralWidget(), widget.rect().bottomRight())
        assert widget.isVisible() and central.contains(top_left) and central.contains(bottom_right)
    assert page.view.height() >= 300  # the video keeps most of the height
    shot = window.grab()
    assert shot.save(os.environ.get("LIPSYNC_FIT_SCREENSHOT") or str(tmp_path / "fit.png"))
