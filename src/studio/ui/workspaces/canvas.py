"""The Canvas workspace page (implemented in :mod:`studio.ui.canvas`)."""

from studio.ui.canvas.workspace import CanvasWorkspace

__all__ = ["CanvasWorkspace"]
