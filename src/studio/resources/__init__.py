"""Data files the app reads at run time (style presets and their thumbnails, the app icon),
shipped inside the package and found through ``importlib.resources.files("studio.resources")``."""
