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

SD15 = "Stable Diffusion 1.5 (with LCM-LoRA)"


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


def test_live_fits_with_more_open_and_a_model_to_get(qtbot, window, tmp_path):  # noqa: F811
    """The advanced controls take the source preview's room; with the "not installed" note
    and the Get… button under the model, every control still shows, uncut."""
    from tests.live.test_workspace_buttons import pick_from_list
    from tests.ui.clicking import click

    window.resize(1366, 768)
    page = show_page(qtbot, window, "Live")
    qtbot.waitUntil(lambda: window.size().toTuple() == (1366, 768))
    pick_from_list(qtbot, page.panel.model, f"{SD15} (not installed)")
    click(qtbot, page.panel.more_button)
    assert page.panel.more.isVisible() and page.panel.model_picker.get_button.isVisible()
    qtbot.wait(50)  # let the layouts settle: the window must not have grown
    assert window.size().toTuple() == (1366, 768)
    assert layout_problems(window) == []
    note = page.panel.model_picker.note
    assert note.text() == "Not installed: click Get…, or run studio models download sd-v1-5"
    assert note.height() >= note.heightForWidth(note.width())  # both lines show whole
    central = window.centralWidget()
    more = page.panel.more
    for widget in (
        page.panel.model_picker.note,
        more.steps,
        more.guidance,
        more.negative,
        more.prompt_b,
        more.travel,
        more.seed_lock,
        more.skip_similar,
        more.threshold,
        more.max_skip,
        page.panel.start_button,
        page.panel.record_button,
        page.panel.microphone,
        page.panel.camera_button,
    ):
        top_left = widget.mapTo(central, widget.rect().topLeft())
        bottom_right = widget.mapTo(central, widget.rect().bottomRight())
        assert widget.isVisible(), widget
        assert central.rect().contains(top_left) and central.rect().contains(bottom_right)
        assert widget.height() >= min(widget.sizeHint().height(), 20), widget
    shot = window.grab()
    assert shot.save(os.environ.get("LIVE_MORE_SCREENSHOT") or str(tmp_path / "more.png"))
