"""In the real main window, Live's "Canvas" source streams what the Canvas workspace shows."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")


def test_live_canvas_source_reads_the_canvas_workspace(qtbot, store):
    from PIL import Image

    from studio.core.settings import Settings
    from studio.services.inference import InferenceService
    from studio.ui.shell.main_window import MainWindow
    from studio.ui.workspaces.live.sources import CanvasSource

    gpu = InferenceService(store, device="cpu", runners={})
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    window = MainWindow(Settings(welcomed=True), store, gpu, downloads)
    qtbot.addWidget(window)
    live = window.workspaces["live"]
    picker = live.panel.source_kind
    assert picker.model().item(picker.findText("Canvas")).isEnabled()
    live.use_canvas()
    assert isinstance(live.source, CanvasSource)
    assert live.source.latest() is None and live.source.empty  # nothing open yet
    window.send_image_to_canvas(Image.new("RGB", (64, 48), (10, 200, 30)))
    qtbot.waitUntil(lambda: live.source.latest() is not None, timeout=5000)
    frame = live.source.latest()
    assert frame.shape == (48, 64, 3) and (frame == np.array([10, 200, 30])).all()
    live.set_source(None)
    window.close()
