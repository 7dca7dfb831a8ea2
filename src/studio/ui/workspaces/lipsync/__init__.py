"""The Lipsync workspace; ``workspace.py`` assembles, the recorder and pack picker sit beside it."""
