"""The Canvas workspace UI (document, view, tool panel, actions, autosave)."""
