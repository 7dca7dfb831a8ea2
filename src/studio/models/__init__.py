"""Qt-free model management: catalogue, on-disk store, downloads, verification."""
