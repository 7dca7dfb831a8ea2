"""What the window's File and Edit menus do in the Headshots workspace (the contract in
``ui/shell/workspace_actions.py``).

- Open (Ctrl+O): add selfies (the Selfies step's file dialog).
- Export (Ctrl+E): the selected portraits into the export folder (asking for one the first
  time); Export As (Ctrl+Shift+E): always asks for the folder first.
- Select All / None / Invert: the portraits shown on the review page.
- View > Before / After (Ctrl+B): the review page's Show before (face detail).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from studio.ui.workspaces.headshots.dialogs import IMAGE_FILTER, choose_images
from studio.ui.workspaces.headshots.past_packs import is_pack_folder

if TYPE_CHECKING:
    from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

SELFIES, STYLE, REVIEW, EXPORT = 0, 1, 2, 3

# the workspace's own keys, for the shortcuts sheet (F1)
SHORTCUTS: list[tuple[str, str]] = [
    ("Alt+N", "Next step of the wizard"),
    ("Alt+B", "Previous step of the wizard"),
    ("Ctrl+O", "Add selfies"),
    ("Alt+G", "Generate the pack (review page)"),
    ("Alt+R", "Re-roll the selected portraits"),
    ("Ctrl+E", "Export the selected portraits"),
    ("Ctrl+Shift+E", "Export the selected portraits to another folder"),
    ("Ctrl+A / Ctrl+Shift+A", "Select all / no portraits (review page)"),
    ("Ctrl+B", "Selected portraits before / after face detail (review page)"),
    ("Alt+1 / Alt+4 / Alt+2", "Format 1:1 / 4:5 / 2:3 (style page)"),
]

IMAGE_SUFFIXES = {s.strip("*)") for s in IMAGE_FILTER.split("(")[1].split()}
SELECTIONS = {"select_all": "all", "select_none": "none", "invert_selection": "invert"}


def action_enabled(ws: HeadshotsWorkspace, name: str) -> bool:
    """Whether the menu action ``name`` does something in ``ws`` now."""
    if name == "open":
        return True
    if name in ("export", "export_as"):
        return ws.can_export()
    if name in SELECTIONS:
        return ws.tabs.currentIndex() == REVIEW and bool(ws.gallery.visible_indices())
    if name == "before_after":
        return ws.tabs.currentIndex() == REVIEW and ws.review.compare_button.isEnabled()
    return False


def run_action(ws: HeadshotsWorkspace, name: str) -> None:
    """Do ``name`` (the window calls this only when :func:`action_enabled` said yes)."""
    if name == "open":
        ws.tabs.setCurrentIndex(SELFIES)
        choose_images(ws.selfie_step, "Add selfies", ws.selfie_step.added.emit)
    elif name == "export":
        ws.export_step.export()
    elif name == "export_as":
        ws.export_step.choose_and_export()
    elif name in SELECTIONS:
        ws.gallery.select_visible(SELECTIONS[name])
    elif name == "before_after":
        ws.review.compare_button.toggle()


def open_path(ws: HeadshotsWorkspace, path: Path) -> bool:
    """File > Open Recent: a pack folder opens in the review, a photo is added as a selfie."""
    if is_pack_folder(path):
        ws.tabs.setCurrentIndex(REVIEW)
        ws.note.setText("Opening…")
        ws.reload(path)
        return True
    if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
        ws.tabs.setCurrentIndex(SELFIES)
        ws.add_selfies([path])
        return True
    return False
