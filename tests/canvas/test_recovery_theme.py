"""The Canvas restore bar ("Unsaved work on ... was recovered") in the dark and the light
theme: its text readable on its own background (WCAG >= 4.5), the buttons' too."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette

from studio.core.autosave import Snapshot
from studio.ui.widgets.theme import apply_theme
from studio.ui.workspaces.canvas.recovery import RestoreBar
from tests.ui.test_theme import app, contrast  # noqa: F401 - `app`: the app's look put back

Role = QPalette.ColorRole


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_restore_bar_is_readable(app, qtbot, theme):  # noqa: F811
    import numpy as np

    assert apply_theme(app, theme) == theme
    bar = RestoreBar()
    qtbot.addWidget(bar)
    pixels = np.zeros((4, 4, 3), np.uint8)
    bar.offer(Snapshot(pixels, pixels, np.zeros((4, 4), np.uint8), "photo.png", [], 1e9))
    bar.show()
    assert bar.label.text().startswith("Unsaved work on photo.png from")
    assert bar.autoFillBackground()
    background = bar.palette().color(Role.Window)
    assert background != app.palette().color(Role.Window)  # set apart from the page
    text = bar.label.palette().color(Role.WindowText)
    assert contrast(text, background) >= 4.5, f"{theme}: {text.name()} on {background.name()}"
    button = bar.restore_button.palette()
    assert contrast(button.color(Role.ButtonText), button.color(Role.Button)) >= 4.5
