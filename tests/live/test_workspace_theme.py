"""Live's error line in the dark and the light theme: readable on the panel (WCAG >= 4.5),
and repainted when the theme changes while it shows."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

from studio.ui.widgets.theme import TONE_COLOURS, apply_theme
from studio.ui.workspaces.live.workspace import LiveWorkspace
from tests.ui.test_theme import app, contrast  # noqa: F401 - `app`: the app's look put back

Role = QPalette.ColorRole


def test_the_error_line_is_readable_in_both_themes(app, qtbot, store, start_cpu_service):  # noqa: F811
    apply_theme(app, "dark")
    ws = LiveWorkspace(start_cpu_service(store), store)
    qtbot.addWidget(ws)
    ws.show()
    qtbot.keyClicks(ws.panel.prompt, "pornographic")  # refused by the content filter
    error = ws.panel.error
    assert error.isVisible() and "content filter" in error.text()
    for theme in ("dark", "light"):
        apply_theme(app, theme)
        window = app.palette().color(Role.Window)
        # the window takes the new palette from the event loop, as a user sees it
        qtbot.waitUntil(lambda w=window: ws.panel.palette().color(Role.Window) == w, timeout=5000)
        text = error.palette().color(Role.WindowText)
        assert text == QColor(TONE_COLOURS[theme]["error"])
        ratio = contrast(text, ws.panel.palette().color(Role.Window))
        assert ratio >= 4.5, f"{theme}: {text.name()} is {ratio:.2f}:1"
    ws.stop()
