"""What does not fit in a window: a side panel that needs a vertical scroll bar, a visible
button whose text is cut. Used by the layout tests of every workspace (issue 18)."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea, QWidget


def _name(widget: QWidget) -> str:
    return widget.objectName() or type(widget).__name__


def layout_problems(root: QWidget) -> list[str]:
    """Each problem in the visible part of ``root``, as a sentence; empty when all fits.

    A ``QScrollArea`` (the side panels) must not need its vertical bar; image views and lists
    are ``QAbstractScrollArea``s that may scroll and are not checked. A visible button with
    text must be at least as wide as its size hint (Qt elides nothing on buttons: a narrower
    one shows cut text).
    """
    QApplication.processEvents()
    problems = []
    for area in root.findChildren(QScrollArea):
        if area.isVisible() and area.verticalScrollBar().maximum() > 0:
            problems.append(
                f"{_name(area)} needs a vertical scroll bar"
                f" ({area.widget().sizeHint().height() if area.widget() else '?'} px of content"
                f" in {area.viewport().height()} px)"
            )
    for button in root.findChildren(QAbstractButton):
        if not button.isVisible() or not button.text():
            continue
        if button.width() < button.sizeHint().width():
            problems.append(
                f"button {button.text()!r} is {button.width()} px wide;"
                f" its text needs {button.sizeHint().width()} px"
            )
    return problems
