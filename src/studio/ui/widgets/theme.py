"""The dark and light themes: Fusion with a full palette, and "system", which follows the
desktop's colour scheme (and keeps following it while the app runs).

:func:`apply_theme` is the one place the app's look is set: the Fusion style, the palette
and the qtawesome icons, which are drawn in the palette's button-text colour and so are
redrawn after every change (:mod:`icons`). No app style sheet: rules for common widgets
would change their size hints, and with them every workspace's layout.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QToolTip, QWidget

from studio.core.settings import DEFAULT_THEME, THEME_NAMES
from studio.ui.widgets import icons

log = logging.getLogger(__name__)

THEMES = THEME_NAMES  # ("dark", "light", "system"): the choices of View > Theme and Settings

# Properties on the QApplication: the theme asked for, the one drawn, and whether the
# colour-scheme signal is connected (state lives on the app, not in this module).
_ASKED, _APPLIED, _FOLLOWING = "studioTheme", "studioThemeApplied", "studioThemeFollowing"
_STYLED = "studioThemeStyled"  # StudioStyle is set
TONE_PROPERTY = "tone"

Role, Group = QPalette.ColorRole, QPalette.ColorGroup

# Colours per role; WCAG contrast text/background >= 4.5 for every text role (tested), the
# disabled text still readable (>= 2) yet plainly dimmer than enabled text.
_DARK = {
    Role.Window: "#2b2d31",
    Role.WindowText: "#e8e8e8",
    Role.Base: "#1e1f22",
    Role.AlternateBase: "#26282c",
    Role.ToolTipBase: "#3c3f45",
    Role.ToolTipText: "#f2f2f2",
    Role.PlaceholderText: "#8f939a",
    Role.Text: "#e8e8e8",
    # Fusion draws buttons, tabs and headers well above the Button role in a dark palette.
    Role.Button: "#313338",
    Role.ButtonText: "#e8e8e8",
    Role.BrightText: "#ff6b6b",
    Role.Light: "#55585e",
    Role.Midlight: "#45484e",
    Role.Mid: "#232427",
    Role.Dark: "#18191b",
    Role.Shadow: "#000000",
    Role.Highlight: "#2f65ca",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#6cb0ff",
    Role.LinkVisited: "#c09cff",
}
_DARK_DISABLED = {
    Role.WindowText: "#7d8087",
    Role.Text: "#7d8087",
    Role.ButtonText: "#7d8087",
    Role.Button: "#2d2f33",
    Role.Base: "#25272a",
    Role.Highlight: "#4a4d53",
    Role.HighlightedText: "#a0a3a8",
    Role.PlaceholderText: "#6a6d73",
}
_LIGHT = {
    Role.Window: "#efeff1",
    Role.WindowText: "#1b1c1e",
    Role.Base: "#ffffff",
    Role.AlternateBase: "#f5f5f7",
    Role.ToolTipBase: "#ffffff",
    Role.ToolTipText: "#1b1c1e",
    Role.PlaceholderText: "#6b6e75",
    Role.Text: "#1b1c1e",
    Role.Button: "#e4e5e8",
    Role.ButtonText: "#1b1c1e",
    Role.BrightText: "#c62828",
    Role.Light: "#ffffff",
    Role.Midlight: "#f3f3f5",
    Role.Mid: "#b9bbc0",
    Role.Dark: "#9a9ca1",
    Role.Shadow: "#6f7075",
    Role.Highlight: "#2f65ca",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#0b57d0",
    Role.LinkVisited: "#6a3db8",
}
_LIGHT_DISABLED = {
    Role.WindowText: "#8e9096",
    Role.Text: "#8e9096",
    Role.ButtonText: "#8e9096",
    Role.Button: "#eaebed",
    Role.Base: "#f6f6f7",
    Role.Highlight: "#c5c7cc",
    Role.HighlightedText: "#5c5e63",
    Role.PlaceholderText: "#a8aab0",
}


class StudioStyle(QProxyStyle):
    """Fusion, with checked buttons (tools: Click, Brush, Eraser; Before/After) tinted in the
    highlight colour: Fusion only darkens them a shade, which cannot be seen on a dark theme."""

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(  # noqa: N802 - Qt's name
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: object,
        widget: QWidget | None = None,
    ) -> None:
        if element == QStyle.PrimitiveElement.PE_PanelButtonCommand and (
            option.state & QStyle.StateFlag.State_On
        ):
            option = type(option)(option)  # a copy: the caller's option is not ours to change
            palette = QPalette(option.palette)
            button, accent = palette.color(Role.Button), palette.color(Role.Highlight)
            palette.setColor(Role.Button, _mix(button, accent, 0.45))
            option.palette = palette
        super().drawPrimitive(element, option, painter, widget)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def build_palette(name: str) -> QPalette:
    """The full palette of the ``"dark"`` or ``"light"`` theme (every role, every group)."""
    if name not in ("dark", "light"):
        raise ValueError(f"no palette for theme {name!r}; expected 'dark' or 'light'")
    active, disabled = (_DARK, _DARK_DISABLED) if name == "dark" else (_LIGHT, _LIGHT_DISABLED)
    palette = QPalette()
    for role, colour in active.items():
        palette.setColor(role, QColor(colour))  # every group: active, inactive, disabled
    for role, colour in disabled.items():
        palette.setColor(Group.Disabled, role, QColor(colour))
    if hasattr(Role, "Accent"):  # Qt 6.6+: Fusion draws checked boxes and sliders in it
        palette.setColor(Role.Accent, QColor(active[Role.Highlight]))
        palette.setColor(Group.Disabled, Role.Accent, QColor(disabled[Role.Highlight]))
    return palette


# Text and notes that must stay readable in both themes (errors, warnings, licence notes):
# a widget opts in with set_tone(), which sets those roles of its own palette, and
# apply_theme() sets them again in the new colours. Palette, not a style sheet: an app
# style sheet changes the size hints of every spin box and line edit. Text tones: a colour;
# note tones: (text, background).
TONES = ("error", "warning", "success", "muted", "warning-note", "info-note")
TONE_COLOURS: dict[str, dict[str, str | tuple[str, str]]] = {
    "dark": {
        "error": "#ff7b72",
        "warning": "#e3b341",
        "success": "#5bd17a",
        "muted": "#a3a6ad",
        "warning-note": ("#f2dca6", "#43371f"),
        "info-note": ("#d2e4ff", "#1f3a57"),
    },
    "light": {
        "error": "#b3261e",
        "warning": "#8a5300",
        "success": "#1e7b34",
        "muted": "#5f6368",
        "warning-note": ("#5a3b00", "#fff1d6"),
        "info-note": ("#0b3d91", "#e3edfd"),
    },
}
_TEXT_ROLES = (Role.WindowText, Role.Text, Role.ButtonText)


def set_tone(widget: QWidget, tone: str | None) -> None:
    """Colour ``widget``'s text as :data:`TONES` says (a ``*-note`` tone also fills its
    background and pads it), in the theme shown now and in any applied later; ``None``
    takes the tone away."""
    if tone is not None and tone not in TONES:
        raise ValueError(f"unknown tone {tone!r}; expected one of {', '.join(TONES)}")
    widget.setProperty(TONE_PROPERTY, tone or "")
    if tone is not None and tone.endswith("-note"):
        widget.setContentsMargins(6, 4, 6, 4)
    _paint_tone(widget, applied_theme())


def tone_colour(tone: str) -> QColor:
    """The text colour of ``tone`` in the theme shown now, for what a palette cannot reach:
    rich text (``<span style='color:...'>``), item foregrounds, painters. Read it when
    building the text; a dialog built again after a theme change gets the new colour."""
    colours = TONE_COLOURS[applied_theme()][tone]
    return QColor(colours[0] if isinstance(colours, tuple) else colours)


def _paint_tone(widget: QWidget, theme: str) -> None:
    tone = widget.property(TONE_PROPERTY)
    colours = TONE_COLOURS[theme].get(tone) if isinstance(tone, str) else None
    if colours is None:
        widget.setPalette(QPalette())  # nothing set: every role follows the app again
        widget.setAutoFillBackground(False)
        return
    text, background = colours if isinstance(colours, tuple) else (colours, None)
    palette = QPalette()  # only the roles set here override the app's palette
    for group in (Group.Active, Group.Inactive):  # disabled text keeps the theme's grey
        for role in _TEXT_ROLES:
            palette.setColor(group, role, QColor(text))
        if background is not None:
            palette.setColor(group, Role.Window, QColor(background))
    widget.setPalette(palette)
    widget.setAutoFillBackground(background is not None)


def system_theme(app: QGuiApplication) -> str:
    """``"dark"`` or ``"light"`` as the desktop says; dark when it does not say."""
    scheme = app.styleHints().colorScheme()
    return "light" if scheme == Qt.ColorScheme.Light else "dark"


def apply_theme(app: QApplication, name: str) -> str:
    """Give the whole app the theme ``name`` (one of :data:`THEMES`; anything else means the
    default, dark) and redraw every themed icon; returns the theme drawn, "dark" or "light".

    With "system" the app follows the desktop's colour scheme from now on, until another
    theme is applied.
    """
    if name not in THEMES:
        log.warning("unknown theme %r; using %s", name, DEFAULT_THEME)
        name = DEFAULT_THEME
    applied = system_theme(app) if name == "system" else name
    if not app.property(_STYLED):
        app.setStyle(StudioStyle())  # Fusion: the one style that draws every palette role
        app.setProperty(_STYLED, True)
    palette = build_palette(applied)
    app.setPalette(palette)
    QToolTip.setPalette(palette)  # tooltips keep their own palette on some platforms
    app.setProperty(_ASKED, name)
    app.setProperty(_APPLIED, applied)
    for widget in app.allWidgets():
        if widget.styleSheet():
            # A widget with a style sheet took its palette (and any palette() in the sheet)
            # from the app when polished; setting the sheet again polishes it in the new one.
            widget.setStyleSheet(widget.styleSheet())
        if widget.property(TONE_PROPERTY):
            _paint_tone(widget, applied)
    if name == "system" and not app.property(_FOLLOWING):
        app.styleHints().colorSchemeChanged.connect(_follow_system)
        app.setProperty(_FOLLOWING, True)
    for window in app.topLevelWidgets():
        icons.refresh_icons(window)
    return applied


def _follow_system(_scheme: Qt.ColorScheme) -> None:
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.property(_ASKED) == "system":
        apply_theme(app, "system")


def current_theme() -> str:
    """The theme last asked for with :func:`apply_theme` (one of :data:`THEMES`, so possibly
    "system"); the default before any was applied."""
    app = QApplication.instance()
    asked = app.property(_ASKED) if isinstance(app, QObject) else None
    return asked if asked in THEMES else DEFAULT_THEME


def applied_theme() -> str:
    """The theme drawn now, "dark" or "light" ("system" resolved); the default before any."""
    app = QApplication.instance()
    applied = app.property(_APPLIED) if isinstance(app, QObject) else None
    return applied if applied in ("dark", "light") else DEFAULT_THEME
