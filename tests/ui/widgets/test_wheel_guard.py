"""The wheel scrolls a panel past its settings; a focused setting takes the wheel."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.wheel_guard import WheelGuard, install_wheel_guard


def wheel_down(widget: QWidget) -> None:
    """One notch down over ``widget``, through the window system like a real mouse."""
    window = widget.window()
    centre = widget.mapTo(window, QPoint(widget.width() // 2, widget.height() // 2))
    QTest.wheelEvent(window.windowHandle(), QPointF(centre), QPoint(0, -120))


@pytest.fixture
def panel(qtbot):
    install_wheel_guard()
    area = QScrollArea()
    body = QWidget()
    column = QVBoxLayout(body)
    prompt = QLineEdit()  # where the focus sits while the user scrolls past the settings
    column.addWidget(prompt)
    guidance = QDoubleSpinBox()
    guidance.setRange(0, 20)
    guidance.setValue(7.0)
    combo = QComboBox()
    combo.addItems(["one", "two", "three"])
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 100)
    slider.setValue(50)
    column.addWidget(guidance)
    column.addWidget(combo)
    column.addWidget(slider)
    column.addSpacing(2000)  # a panel taller than its view: the wheel has somewhere to go
    area.setWidget(body)
    area.resize(300, 200)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    prompt.setFocus()
    qtbot.waitUntil(prompt.hasFocus)
    return area, guidance, combo, slider


def test_unfocused_settings_ignore_the_wheel_and_the_panel_scrolls(panel, qtbot):
    area, guidance, combo, slider = panel
    bar = area.verticalScrollBar()
    assert bar.value() == 0
    for control in (guidance, combo, slider):
        assert not control.hasFocus()
        wheel_down(control)
    assert guidance.value() == 7.0
    assert combo.currentIndex() == 0
    assert slider.value() == 50
    assert bar.value() > 0, "the wheel scrolled the panel instead"
    assert not guidance.hasFocus(), "the wheel does not hand out focus either"


def test_a_focused_setting_takes_the_wheel(panel, qtbot):
    area, guidance, _combo, _slider = panel
    qtbot.mouseClick(guidance, Qt.MouseButton.LeftButton)  # how a user gives it focus
    qtbot.waitUntil(guidance.hasFocus)
    wheel_down(guidance)
    assert guidance.value() == 6.0
    assert area.verticalScrollBar().value() == 0


def test_installed_once():
    app = QApplication.instance()
    assert install_wheel_guard(app) is install_wheel_guard(app)
    assert len(app.findChildren(WheelGuard)) == 1
