"""Dialogs opened from the main window: models, settings, about."""
