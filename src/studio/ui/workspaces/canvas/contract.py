"""The Canvas side of the menus-to-workspace contract (``studio.ui.shell.workspace_actions``):
which of the window's File / Edit / View actions do something now, and running them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The workspace's own keys, for the window's shortcuts sheet (F1).
SHORTCUTS = [
    ("C", "Click tool: click adds to the selection, right-click or Alt+click removes"),
    ("B", "Brush: paint onto the selection"),
    ("E", "Eraser: erase from the selection"),
    ("Drag (Click tool)", "Select what is inside a box"),
    ("[ / ]", "Smaller / larger brush"),
    ("Hold \\", "Show the original while held"),
    ("Wheel", "Zoom"),
    ("Space+drag, middle-drag", "Pan"),
    ("Ctrl+V", "Paste an image"),
    ("Ctrl+S", "Export"),
]


class CanvasMenuActions:
    """Mixed into :class:`CanvasWorkspace`; reads its document, view and tool bar."""

    doc: Any
    view: Any
    toolbar: Any
    controller: Any
    export_path: Path | None

    def action_enabled(self, name: str) -> bool:
        """Whether the window's action ``name`` does something now."""
        doc = self.doc
        has_image = doc.has_image
        selected = has_image and doc.mask is not None and bool(doc.mask.any())
        answers = {
            "open": True,
            "export": has_image,
            "export_as": has_image,
            "undo": doc.stack.canUndo(),
            "redo": doc.stack.canRedo(),
            "select_all": has_image,
            "select_none": selected,
            "invert_selection": has_image,
            "fit": has_image,
            "actual_size": has_image,
            "before_after": has_image,
        }
        return answers.get(name, False)

    def run_action(self, name: str) -> None:
        """Run the window's action ``name`` (the window asks :meth:`action_enabled` first)."""
        if name == "open":
            self.open_dialog()
        elif name == "export":
            self.export()
        elif name == "export_as":
            self.export_dialog()
        elif name == "undo":
            self.doc.stack.undo()
        elif name == "redo":
            self.doc.stack.redo()
        elif name == "select_all":
            import numpy as np

            self.doc.set_mask(np.full_like(self.doc.mask, 255), "Select all")
        elif name == "select_none":
            self.controller.mask_op("clear")
        elif name == "invert_selection":
            self.controller.mask_op("invert")
        elif name == "fit":
            self.view.fit()
        elif name == "actual_size":
            self.view.actual_size()
        elif name == "before_after":
            self.toolbar.compare_action.toggle()

    def shortcut_list(self) -> list[tuple[str, str]]:
        """The Canvas's own keys, for the shortcuts sheet."""
        return list(SHORTCUTS)
