"""The dark and light themes: readable palettes, "system", icons that follow, the setting."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import QApplication, QPushButton, QToolBar

from studio.core.settings import Settings
from studio.ui.widgets.icons import refresh_icons, set_icon
from studio.ui.widgets.theme import (
    THEMES,
    TONE_COLOURS,
    TONES,
    applied_theme,
    apply_theme,
    build_palette,
    current_theme,
    set_tone,
    system_theme,
    tone_colour,
)

Role, Group = QPalette.ColorRole, QPalette.ColorGroup


@pytest.fixture
def app(qapp):
    """The application; its look is put back afterwards, so other tests see the default
    (also used by test_screenshots.py)."""
    palette, style, sheet = qapp.palette(), qapp.style().name() or "fusion", qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)
    for name in ("studioTheme", "studioThemeApplied", "studioThemeStyled"):
        qapp.setProperty(name, None)
    for window in qapp.topLevelWidgets():
        refresh_icons(window)


def luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio, 1 (same) to 21 (black on white)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


READABLE_PAIRS = [  # (text role, background role): body text needs 4.5 (WCAG AA)
    (Role.WindowText, Role.Window),
    (Role.Text, Role.Base),
    (Role.ButtonText, Role.Button),
    (Role.HighlightedText, Role.Highlight),
    (Role.ToolTipText, Role.ToolTipBase),
    (Role.Link, Role.Base),
    (Role.LinkVisited, Role.Base),
    (Role.PlaceholderText, Role.Base),
]


@pytest.mark.parametrize("name", ["dark", "light"])
def test_every_text_role_is_readable_and_disabled_text_is_told_apart(app, name):
    assert apply_theme(app, name) == name
    palette = app.palette()
    for text, background in READABLE_PAIRS:
        ratio = contrast(palette.color(text), palette.color(background))
        assert ratio >= 4.5, f"{name}: {text.name} on {background.name} is {ratio:.2f}:1"
    for text, background in [(Role.WindowText, Role.Window), (Role.ButtonText, Role.Button)]:
        disabled = palette.color(Group.Disabled, text)
        # still legible on its background, yet plainly dimmer than the enabled text
        assert contrast(disabled, palette.color(Group.Disabled, background)) >= 2.0
        assert contrast(disabled, palette.color(Group.Active, text)) >= 2.0


def test_dark_then_light_changes_the_window_and_text_colours(app):
    apply_theme(app, "dark")
    dark = app.palette()
    apply_theme(app, "light")
    light = app.palette()
    assert luminance(dark.color(Role.Window)) < 0.05 < 0.75 < luminance(light.color(Role.Window))
    assert luminance(dark.color(Role.Text)) > 0.75 > 0.05 > luminance(light.color(Role.Text))
    assert (current_theme(), applied_theme()) == ("light", "light")
    # widgets made before the change draw with the new palette too
    button = QPushButton("Fill")
    assert button.palette().color(Role.ButtonText) == light.color(Role.ButtonText)


def test_system_maps_to_a_real_theme_and_follows_the_desktop(app):
    assert THEMES == ("dark", "light", "system")
    applied = apply_theme(app, "system")
    assert applied in ("dark", "light") and applied == system_theme(app)
    assert (current_theme(), applied_theme()) == ("system", applied)
    if app.styleHints().colorScheme() == Qt.ColorScheme.Unknown:
        assert applied == "dark"  # the desktop does not say (offscreen): the default
    # The desktop changes its scheme: the app re-reads it (here it keeps saying the same,
    # so the palette that drifted in between is put back).
    other = "light" if applied == "dark" else "dark"
    app.setPalette(build_palette(other))
    app.styleHints().colorSchemeChanged.emit(app.styleHints().colorScheme())
    assert app.palette().color(Role.Window) == build_palette(applied).color(Role.Window)
    # After choosing a theme by name the desktop's changes no longer apply.
    apply_theme(app, other)
    app.styleHints().colorSchemeChanged.emit(app.styleHints().colorScheme())
    assert app.palette().color(Role.Window) == build_palette(other).color(Role.Window)


def test_an_unknown_theme_name_gives_the_dark_default(app):
    assert apply_theme(app, "purple") == "dark"
    assert current_theme() == "dark"
    with pytest.raises(ValueError, match="purple"):
        build_palette("purple")


def _ink(icon) -> QColor:
    """The average colour of an icon's opaque pixels (its glyph)."""
    return _ink_of_pixmap(icon.pixmap(32, 32))


def _ink_of_pixmap(pixmap) -> QColor:
    image = pixmap.toImage()
    pixels = [
        image.pixelColor(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert len(pixels) > 20, "the icon draws nothing"
    channels = zip(*((p.red(), p.green(), p.blue()) for p in pixels), strict=True)
    return QColor(*(round(sum(values) / len(pixels)) for values in channels))


def test_icons_set_with_set_icon_are_redrawn_in_the_new_theme(app):
    apply_theme(app, "dark")
    button = QPushButton("Brush")  # a top-level widget, as the main window is
    set_icon(button, "mdi6.brush")
    bar = QToolBar(button)
    action = QAction("Undo", bar)
    bar.addAction(action)
    set_icon(action, "mdi6.undo")
    on_dark = _ink(button.icon()), _ink(action.icon())
    assert all(luminance(c) > 0.6 for c in on_dark), "light icons on a dark window"

    apply_theme(app, "light")
    on_light = _ink(button.icon()), _ink(action.icon())
    assert all(luminance(c) < 0.1 for c in on_light), "dark icons on a light window"
    window = app.palette().color(Role.Button)
    assert all(contrast(c, window) >= 4.5 for c in on_light)
    button.deleteLater()


def test_settings_keep_the_theme_and_reject_an_unknown_one(tmp_path):
    assert Settings().theme == "dark"
    Settings(theme="light", device="cpu").save()
    assert Settings.load().theme == "light"
    Settings(theme="system").save()
    assert Settings.load().theme == "system"
    path = Settings.path()
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw.update(theme="neon", device="cuda")
    path.write_text(json.dumps(raw), encoding="utf-8")
    loaded = Settings.load()
    assert (loaded.theme, loaded.device) == ("dark", "cuda")  # the rest of the file is kept
    raw["theme"] = ["dark"]  # not even a string
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert Settings.load().theme == "dark"


def test_apply_theme_works_before_any_window_exists(app):
    assert QApplication.instance() is app
    for name in THEMES:
        assert apply_theme(app, name) in ("dark", "light")


def _face(button: QPushButton) -> QColor:
    """The colour of a button's face, left of its text."""
    button.resize(120, 32)
    return button.grab().toImage().pixelColor(8, 16)


@pytest.mark.parametrize("name", ["dark", "light"])
def test_a_checked_tool_button_stands_out_in_the_highlight_colour(app, name, qtbot):
    apply_theme(app, name)
    plain, checked = QPushButton("Brush"), QPushButton("Click", checkable=True, checked=True)
    for button in (plain, checked):
        qtbot.addWidget(button)
    face, on = _face(plain), _face(checked)
    # Fusion alone only darkens a checked button a shade (invisible on a dark theme)
    assert on.blue() - on.red() > 30 and abs(face.blue() - face.red()) < 15, (face, on)
    assert contrast(app.palette().color(Role.ButtonText), on) >= 4.5


@pytest.mark.parametrize("name", ["dark", "light"])
def test_toned_labels_are_readable_and_follow_the_theme(app, name, qtbot):
    from PySide6.QtWidgets import QLabel

    apply_theme(app, "light" if name == "dark" else "dark")
    labels = {tone: QLabel(f"{tone} text") for tone in TONES}
    for tone, label in labels.items():
        qtbot.addWidget(label)
        set_tone(label, tone)
    apply_theme(app, name)  # made in the other theme: recoloured
    window = app.palette().color(Role.Window)
    for tone, label in labels.items():
        expected = TONE_COLOURS[name][tone]
        text, background = (
            (expected[0], expected[1]) if isinstance(expected, tuple) else (expected, window)
        )
        assert label.palette().color(Role.WindowText) == QColor(text), tone
        if isinstance(expected, tuple):  # a note: filled with its own background
            assert label.autoFillBackground()
            assert label.palette().color(Role.Window) == QColor(background)
            pixel = label.grab().toImage().pixelColor(1, 1)
            assert pixel == QColor(background), (tone, pixel.name())
        assert contrast(QColor(text), QColor(background)) >= 4.5, (name, tone)
    set_tone(labels["error"], None)
    assert labels["error"].palette().color(Role.WindowText) == app.palette().color(Role.WindowText)
    with pytest.raises(ValueError, match="loud"):
        set_tone(labels["muted"], "loud")
    assert tone_colour("error") == QColor(TONE_COLOURS[name]["error"])  # for rich text


def test_the_theme_leaves_every_widget_size_as_plain_fusion_has_it(app, qtbot):
    """The layout checks (tests/ui/fit_check.py) run without a theme: the themed app must
    lay out exactly as they measured (no app style sheet, no metric of its own)."""
    from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QTabWidget

    def sizes() -> list[tuple[int, int]]:
        widgets = [
            QPushButton("Remove object"),
            QPushButton("Click", checkable=True, checked=True),
            QSpinBox(),
            QLineEdit("prompt"),
            QComboBox(),
            QCheckBox("Fast (LCM, 4-8 steps)"),
            QTabWidget(),
        ]
        widgets[-1].addTab(QPushButton("page"), "1 Selfies")
        for widget in widgets:
            qtbot.addWidget(widget)
        return [(w.sizeHint().width(), w.sizeHint().height()) for w in widgets]

    app.setStyle("Fusion")
    plain = sizes()
    for name in ("dark", "light"):
        apply_theme(app, name)
        assert sizes() == plain, name


def test_icons_are_drawn_at_the_screens_resolution_at_200_percent(app):
    from PySide6.QtCore import QSize

    from studio.ui.widgets.icons import icon

    apply_theme(app, "dark")
    pixmap = icon("mdi6.brush").pixmap(QSize(16, 16), 2.0)  # a 16 px icon on a 200 % screen
    assert (pixmap.width(), pixmap.height(), pixmap.devicePixelRatio()) == (32, 32, 2.0)
    assert luminance(_ink_of_pixmap(pixmap)) > 0.6


def test_the_app_starts_in_the_saved_theme(app, qtbot, monkeypatch):
    import sys

    from studio.ui.shell.app import build_gui
    from tests.ui.shell.harness import close_and_wait

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # build_gui installs its own
    quit_on_close = app.quitOnLastWindowClosed()
    Settings(theme="light", welcomed=True, device="cpu").save()
    _app, window = build_gui([])
    try:
        assert (current_theme(), applied_theme()) == ("light", "light")
        assert window.palette().color(Role.Window) == build_palette("light").color(Role.Window)
    finally:
        close_and_wait(qtbot, window)
        app.setQuitOnLastWindowClosed(quit_on_close)
