"""The Live workspace; ``workspace.py`` assembles, the frame sources sit beside it."""
