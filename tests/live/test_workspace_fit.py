"""The Live page in the real main window at 1366 x 768: nothing needs a scroll bar, no button
text is cut, the stream buttons and the frozen frame's strip are on screen (screenshot to
$LIVE_FIT_SCREENSHOT when set, for a look)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pytestqt")

from tests.lipsync.test_workspace_fit import show_page  # noqa: E402
from tests.ui.fit_check import layout_problems  # noqa: E402
from tests.ui.shell.harness import window  # noqa: E402, F401 (the fixture)


def test_live_fits_1366_by_768(qtbot, window, tmp_path):  # noqa: F811 (the fixture)
    window.resize(1366, 768)
    picker = window.workspaces["live"].panel.source_kind
    assert picker.media_devices is None  # no camera asked for while Live was not shown
    page = show_page(qtbot, window, "Live")
    assert picker.media_devices is not None
    qtbot.waitUntil(lambda: window.size().toTuple() == (1366, 768))
    assert layout_problems(window) == []
    central = window.centralWidget()
    for widget in (
        page.panel.start_button,
        page.panel.freeze_button,
        page.panel.source_view,
        page.frozen_view.save_button,
        page.frozen_view.canvas_button,
        page.frozen_view.caption,
    ):
        top_left = widget.mapTo(central, widget.rect().topLeft())
        bottom_right = widget.mapTo(central, widget.rect().bottomRight())
        assert widget.isVisible()
        assert central.rect().contains(top_left) and central.rect().contains(bottom_right)
    assert page.output_view.height() >= 300 and page.panel.source_view.height() >= 150
    shot = window.grab()
    assert shot.save(os.environ.get("LIVE_FIT_SCREENSHOT") or str(tmp_path / "fit.png"))
