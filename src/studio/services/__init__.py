"""The inference service: jobs, the GPU worker thread, the warm model cache (QtCore only)."""
