"""The Canvas workspace: document, view, tool panel, controller; ``workspace.py`` assembles."""
