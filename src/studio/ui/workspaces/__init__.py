"""The four workspaces, one package each of the same shape: ``workspace.py`` assembles the page."""
