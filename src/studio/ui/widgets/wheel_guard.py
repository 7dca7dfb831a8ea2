"""The mouse wheel scrolls panels, it does not edit settings on the way.

Without this, scrolling a settings panel with the wheel changes whichever spin box, combo
box or slider passes under the pointer (Guidance 7 -> 3). :class:`WheelGuard` is installed
once on the application: these controls take the wheel only while they have keyboard focus
(the user clicked or tabbed into them); otherwise the wheel goes on to their parent, so the
scroll area around them scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
)

GUARDED = (QAbstractSpinBox, QComboBox, QAbstractSlider)


def _guarded(obj: QObject) -> bool:
    # Scroll bars are sliders too, but they are what the wheel is meant to move.
    return isinstance(obj, GUARDED) and not isinstance(obj, QScrollBar)


class WheelGuard(QObject):
    """An application-wide event filter; see the module docstring."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.Polish and _guarded(watched):
            # WheelFocus would hand the control focus before the wheel event reaches it.
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel and _guarded(watched):
            if not watched.hasFocus():
                event.ignore()  # ignored: Qt passes it on to the parent (the scroll area)
                return True  # and the control itself never sees it
        return False


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard:
    """Install the guard on ``app`` (the running application) once; returns it."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    if app is None:
        raise RuntimeError("install_wheel_guard needs a QApplication")
    existing = app.findChild(WheelGuard)
    if existing is not None:
        return existing
    guard = WheelGuard(app)  # the application owns it: it lives as long as the app
    app.installEventFilter(guard)
    for widget in app.allWidgets():  # widgets polished before the guard was installed
        if _guarded(widget) and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return guard
