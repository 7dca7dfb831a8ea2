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


def test_send_to_canvas_pauses_live_and_coming_back_resumes_it(
    qtbot, live_store, start_cpu_service
):
    """ "Send to Canvas" in the real window: the Canvas shows the frame, Live pauses while it
    is not shown (the device is free for the Canvas) and streams again when the user clicks
    Live in the list; it never just stops without a word."""
    from PySide6.QtCore import Qt

    from studio.core.settings import Settings
    from studio.services.inference import InferenceService
    from studio.ui.shell.main_window import MainWindow

    gpu = start_cpu_service(live_store)
    downloads = InferenceService(live_store, device="none", runners={}, name="downloads")
    window = MainWindow(Settings(), live_store, gpu, downloads)
    qtbot.addWidget(window)
    live = window.workspaces["live"]
    live_row = next(i for i in range(window.nav.count()) if window.nav.item(i).text() == "Live")

    def click_nav(row):
        rect = window.nav.visualItemRect(window.nav.item(row))
        qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    window.show()
    click_nav(live_row)
    assert window.pages.currentWidget() is live
    live.panel.frame_size.setCurrentIndex(0)
    with qtbot.waitSignal(
        gpu.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        qtbot.mouseClick(live.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(live.panel.freeze_button, Qt.MouseButton.LeftButton)
    frozen = np.asarray(live.frozen.image)
    first_job = live.job_id
    with qtbot.waitSignal(
        gpu.job_cancelled, timeout=30000, check_params_cb=lambda j: j.id == first_job
    ):
        qtbot.mouseClick(live.frozen_view.canvas_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.workspaces["canvas"]
    canvas = window.workspaces["canvas"]
    qtbot.waitUntil(lambda: canvas.current_image() is not None, timeout=20000)  # I/O thread
    canvas_image = canvas.current_image()
    assert canvas_image is not None and np.array_equal(np.asarray(canvas_image)[..., :3], frozen)
    assert not live.running
    assert live.panel.status.text().startswith("Paused while Live is not shown")
    with qtbot.waitSignal(
        gpu.job_progress,
        timeout=60000,
        check_params_cb=lambda job, u: job.id == live.job_id and u.preview is not None,
    ):
        click_nav(live_row)
    assert live.running and live.job_id != first_job
    assert live.panel.start_button.text() == "Stop"
    live.stop()
    window.close()
