"""The Headshots workspace; ``workspace.py`` assembles the wizard from the parts beside it."""
