"""Icons for tools and actions, from qtawesome (Material Design Icons, ``mdi6.*`` names),
drawn in the current palette's text colour so they follow the dark or light theme.

Use :func:`set_icon` rather than ``setIcon(qta.icon(...))``: it remembers the icon's name on
the widget or action, so :func:`refresh_icons` can redraw every icon after a theme change.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QIcon, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

ICON_PROPERTY = "studioIcon"


def icon(name: str) -> QIcon:
    """The qtawesome icon ``name`` (e.g. ``"mdi6.brush"``) in the palette's colours."""
    import qtawesome  # imported on first use: it loads its fonts

    palette = QApplication.palette()
    return qtawesome.icon(
        name,
        color=palette.color(QPalette.ColorRole.ButtonText),
        color_disabled=palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText),
    )


def set_icon(target: QAbstractButton | QAction | Any, name: str) -> None:
    """Give a button or action the icon ``name`` and remember it for :func:`refresh_icons`."""
    target.setProperty(ICON_PROPERTY, name)
    target.setIcon(icon(name))


def refresh_icons(root: QWidget) -> int:
    """Redraw every icon set by :func:`set_icon` under ``root`` (its widgets and actions) in
    the current palette; returns how many were redrawn."""
    count = 0
    for obj in [root, *root.findChildren(QWidget), *root.findChildren(QAction)]:
        name = obj.property(ICON_PROPERTY)
        if isinstance(name, str) and name:
            obj.setIcon(icon(name))
            count += 1
    return count
