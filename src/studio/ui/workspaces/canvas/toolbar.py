"""The tool bar above the canvas: files, expand and face detail, undo/redo, the pointer tools
(C, B, E) with the brush size, and the view (fit, 100 %, before/after with its split slider).

Widgets only: the workspace connects the actions. The window's menus own Ctrl+O, Ctrl+Z,
Ctrl+0, Ctrl+B...; these actions carry no such shortcut (two actions on one key cancel each
other out), only the tool letters, which are the workspace's own.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLabel, QSlider, QToolBar, QToolButton, QWidget

from studio.ui.widgets.icons import set_icon

# key -> (label, tool key, icon, tip)
TOOLS = {
    "select": (
        "Click",
        "C",
        "mdi6.cursor-default-click",
        "Click adds, right-click (or Alt) removes, drag draws a box",
    ),
    "brush": ("Brush", "B", "mdi6.brush", "Paint onto the selection"),
    "eraser": ("Eraser", "E", "mdi6.eraser", "Erase from the selection"),
}
COMPARE_DEFAULT = 50  # where the split line starts when Before/After is switched on


class CanvasToolBar(QToolBar):
    """Actions above the canvas; ``compare`` (0-100) is how much of the original shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Canvas tools", parent)
        self.setObjectName("canvasToolBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        self.open_action = self._action("Open…", "mdi6.folder-open", "Open a photo (Ctrl+O)")
        self.export_action = self._action(
            "Export…", "mdi6.export", "Save as PNG, JPEG or WebP (Ctrl+Shift+E)"
        )
        self.expand_action = self._action(
            "Expand…", "mdi6.arrow-expand-all", "Expand the canvas: grow sides or reach a ratio"
        )
        self.expand_action.setObjectName("expandAction")
        self.face_action = self._action(
            "Face detail",
            "mdi6.face-man-shimmer",
            "Face detail: restore the faces (only inside the selection if there is one)",
        )
        self.face_action.setObjectName("faceDetailAction")
        self.addSeparator()
        self.undo_action = self._action("Undo", "mdi6.undo", "Undo the last step (Ctrl+Z)")
        self.redo_action = self._action("Redo", "mdi6.redo", "Redo (Ctrl+Y or Ctrl+Shift+Z)")
        self.addSeparator()

        self.tools = QActionGroup(self)
        self.tools.setExclusive(True)
        self.tool_actions: dict[str, QAction] = {}
        self.tool_buttons: dict[str, QToolButton] = {}
        for key, (text, letter, name, tip) in TOOLS.items():
            action = self._action(text, name, f"{text} ({letter}): {tip}")
            action.setCheckable(True)
            action.setShortcut(letter)
            action.setObjectName(f"tool-{key}")
            self.tools.addAction(action)
            self.tool_actions[key] = action
            button = self.widgetForAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self.tool_buttons[key] = button
        self.tool_actions["select"].setChecked(True)
        self.brush_size = QSlider(Qt.Orientation.Horizontal, minimum=2, maximum=200, value=24)
        self.brush_size.setFixedWidth(80)
        self.brush_size.setToolTip("Brush size for the brush and the eraser ([ and ])")
        self.brush_label = QLabel("24 px")
        self.brush_label.setMinimumWidth(self.brush_label.fontMetrics().horizontalAdvance("200 px"))
        self.brush_size.valueChanged.connect(lambda v: self.brush_label.setText(f"{v} px"))
        self.addWidget(self.brush_size)
        self.addWidget(self.brush_label)
        self.addSeparator()

        self.fit_action = self._action("Fit", "mdi6.fit-to-screen", "Fit the image (Ctrl+0)")
        self.actual_action = self._action(
            "100%", "mdi6.numeric-1-box-outline", "Actual pixels (Ctrl+1)"
        )
        self.compare_action = self._action(
            "Before/After",
            "mdi6.compare",
            "Compare with the original (Ctrl+B): drag the line on the image or the slider;"
            " hold \\ to see the whole original",
        )
        self.compare_action.setCheckable(True)
        for action in (self.fit_action, self.actual_action):
            self.widgetForAction(action).setToolButtonStyle(
                Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            )
        self.compare = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=0)
        self.compare.setObjectName("compareSlider")
        self.compare.setFixedWidth(100)
        self.compare.setToolTip("How much of the original shows, from the left")
        self.addWidget(self.compare)
        # One source of truth, the slider: the toggle shows whether any "before" is visible.
        self.compare.valueChanged.connect(lambda v: self.compare_action.setChecked(v > 0))
        self.compare_action.toggled.connect(lambda on: self._compare_toggled(on))

    def _action(self, text: str, icon_name: str, tip: str) -> QAction:
        action = self.addAction(text)
        action.setToolTip(tip)
        set_icon(action, icon_name)
        return action

    def _compare_toggled(self, on: bool) -> None:
        if on and self.compare.value() == 0:
            self.compare.setValue(COMPARE_DEFAULT)
        elif not on and self.compare.value() > 0:
            self.compare.setValue(0)

    def scale_brush(self, factor: float) -> None:
        """Grow or shrink the brush by ``factor`` (the [ and ] keys), at least one step."""
        now = self.brush_size.value()
        step = round(now * factor) - now
        self.brush_size.setValue(now + (step or (1 if factor > 1 else -1)))

    def set_tool(self, key: str) -> None:
        if not self.tool_actions[key].isChecked():
            self.tool_actions[key].setChecked(True)

    def refresh(
        self, *, has_image: bool, can_undo: bool, can_redo: bool, idle: bool = True
    ) -> None:
        """Enable what makes sense now (no image: only Open; a job running: no new job)."""
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)
        for action in (self.expand_action, self.face_action):
            action.setEnabled(has_image and idle)
        for action in (
            self.export_action,
            self.fit_action,
            self.actual_action,
        ):
            action.setEnabled(has_image)
        self.compare_action.setEnabled(has_image)
        self.compare.setEnabled(has_image)
