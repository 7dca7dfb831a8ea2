"""The user's theme choice (View > Theme, Settings): applied through
``studio.ui.widgets.theme.apply_theme`` and remembered in :class:`Settings` when it has a
``theme`` field, else in the window's settings file."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from studio.core.settings import Settings

# (name, menu label with mnemonic): the names apply_theme takes
THEME_CHOICES = (("dark", "&Dark"), ("light", "&Light"), ("system", "Follow &system"))
DEFAULT_THEME = "dark"
THEME_KEY = "theme"


def apply_theme(name: str) -> str:
    """Apply ``name`` ("dark", "light", "system") to the application; the one applied.
    Without the theme module (not installed in this build) nothing changes."""
    try:
        from studio.ui.widgets.theme import apply_theme as apply
    except ImportError:
        return name
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return str(apply(app, name))


def stored_theme(settings: Settings, window_settings: Callable[[], QSettings]) -> str:
    """The theme the user chose last (the default before any choice)."""
    name = getattr(settings, THEME_KEY, None)
    if not isinstance(name, str) or not name:
        name = window_settings().value(THEME_KEY, DEFAULT_THEME)
    return name if name in {n for n, _ in THEME_CHOICES} else DEFAULT_THEME


def store_theme(settings: Settings, window_settings: Callable[[], QSettings], name: str) -> None:
    """Remember ``name``: in ``settings`` (saved) when it has a theme field, else in the ini."""
    if hasattr(settings, THEME_KEY):
        setattr(settings, THEME_KEY, name)
        settings.save()
        return
    state = window_settings()
    state.setValue(THEME_KEY, name)
    state.sync()
