"""Widgets and helpers shared by the workspaces (image conversion, image view)."""
