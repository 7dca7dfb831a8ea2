"""The headshot-pack picker in the dark and the light theme: a flagged portrait's caption is
in the theme's error colour, readable on the list (WCAG >= 4.5)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette

from studio.ui.widgets.theme import TONE_COLOURS, apply_theme
from tests.lipsync.test_workspace import _make_pack
from tests.ui.test_theme import app, contrast  # noqa: F401 - `app`: the app's look put back


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_flagged_portraits_are_marked_readably(app, qtbot, tmp_path, avatar_files, theme):  # noqa: F811
    from studio.ui.workspaces.lipsync.pack_picker import PackPicker

    assert apply_theme(app, theme) == theme
    _make_pack(tmp_path, avatar_files[1], flagged=(1,))
    picker = PackPicker(tmp_path)
    qtbot.addWidget(picker)
    flagged = [picker.list.item(i) for i in range(2) if "(flagged)" in picker.list.item(i).text()]
    assert len(flagged) == 1
    colour = flagged[0].foreground().color()
    assert colour == QColor(TONE_COLOURS[theme]["error"])
    base = picker.list.palette().color(QPalette.ColorRole.Base)
    assert contrast(colour, base) >= 4.5, f"{theme}: {colour.name()} on {base.name()}"
    picker.workers.wait()
