"""The contract between the main window's menus and the workspaces (issue 18).

The window owns one application-wide ``QAction`` per name in :data:`ACTIONS` (File, Edit and
View menus, with the shortcuts below), so a shortcut works wherever the focus is. When one
is triggered, the window asks the *current* workspace to run it. A workspace takes part by
defining any of these methods (each is optional; plain ``QWidget`` pages work unchanged):

``action_enabled(name: str) -> bool``
    Whether ``name`` does something now (e.g. "undo" with nothing to undo: False). An
    action the workspace does not know returns False; the window then disables it.
``run_action(name: str) -> None``
    Do it (open a file dialog, undo, fit the view...). Called only when enabled.
``actions_changed``: a ``Signal()``
    Emitted when what ``action_enabled`` answers may have changed; the window re-reads it.
``notify``: a ``Signal(str)``
    A short message for the user after a finished action ("Saved to ~/Pictures/x.png"); the
    window shows it as a toast and in the status bar.
``opened_file``: a ``Signal(str)``
    A file the user opened or exported (its path), for File > Open Recent.
``open_path(path: str | Path) -> bool``
    Open a file chosen from File > Open Recent (True if it opened).
``shortcut_list() -> list[tuple[str, str]]``
    The workspace's own keys for the shortcuts sheet (F1): ``[("C", "Click to select"), ...]``.

ADDITION (issue 16, the gallery): a workspace may also define

``apply_settings(settings: dict) -> bool``
    Take the settings of an earlier result (from File > Gallery's "Use These Settings
    Again", or read back from an exported image dropped on the window) into its controls:
    prompt, seed, models, strengths... ``settings`` is what the result's job was given
    (the gallery entry's settings, or the JSON Studio wrote into the file), plus ``prompt``
    and ``seed`` where known. Return True when applied; False (or a ``StudioError``) when
    these settings cannot be used, and the window says so. A workspace without it gets a
    box "<Workspace> cannot reuse these settings yet". The window then shows the workspace
    and emits its ``settings_reused(key, settings)`` signal.

Text fields keep their own undo: while a focused line or text edit has text to undo/redo,
Ctrl+Z / Ctrl+Y act on the text, otherwise on the workspace (``ui/shell/text_keys.py``;
Select All likewise while the field holds text).

A workspace must not also own a ``QAction`` or ``QShortcut`` with one of the keys below
while it answers True for that name: Qt then finds the key ambiguous ("Ambiguous shortcut
overload") and runs neither. Keys of its own (tool keys such as C, B, E) are fine; list
them in ``shortcut_list`` for the sheet.
"""

from __future__ import annotations

# name -> (menu, label with mnemonic, shortcuts; the first is shown in the menu)
ACTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "open": ("File", "&Open…", ("Ctrl+O",)),
    "export": ("File", "&Export", ("Ctrl+E",)),
    "export_as": ("File", "Export &As…", ("Ctrl+Shift+E",)),
    "undo": ("Edit", "&Undo", ("Ctrl+Z",)),
    "redo": ("Edit", "&Redo", ("Ctrl+Y", "Ctrl+Shift+Z")),
    "select_all": ("Edit", "Select &All", ("Ctrl+A",)),
    "select_none": ("Edit", "Select &None", ("Ctrl+Shift+A",)),
    "invert_selection": ("Edit", "&Invert Selection", ("Ctrl+I",)),
    "fit": ("View", "&Fit to Window", ("Ctrl+0",)),
    "actual_size": ("View", "&100%", ("Ctrl+1",)),
    "before_after": ("View", "&Before / After", ("Ctrl+B",)),
}


def action_enabled(workspace: object, name: str) -> bool:
    """What the workspace answers for ``name``; False when it does not take part."""
    ask = getattr(workspace, "action_enabled", None)
    return bool(ask(name)) if callable(ask) else False


def run_action(workspace: object, name: str) -> bool:
    """Run ``name`` on the workspace if it is enabled there; True if it ran."""
    if not action_enabled(workspace, name):
        return False
    workspace.run_action(name)
    return True
