"""Qt-free foundations: settings, paths, errors, progress, device, image io."""
