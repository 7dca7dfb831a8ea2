"""Every Live button clicked with the mouse on the real widgets, over the real CPU service and
tiny models: an image file chosen through the source list and the file dialog, Start, Freeze,
Save... (the save dialog typed into), Send to Canvas, Stop. Also the status readout, the
content filter the prompt field uses, and a failed save."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from studio.ui.workspaces.live.workspace import LiveWorkspace  # noqa: E402
from tests.ui.clicking import answer_file_dialog, click


@pytest.fixture
def workspace(qtbot, live_store, start_cpu_service):
    svc = start_cpu_service(live_store)
    ws = LiveWorkspace(svc, live_store)
    qtbot.addWidget(ws)
    ws.panel.frame_size.setCurrentIndex(0)  # 256 x 256 keeps the CPU test quick
    ws.resize(1100, 700)
    ws.show()
    yield ws, svc
    ws.stop()


def pick_from_list(qtbot, combo, text):
    """Open the combo box's list with the mouse, walk down to ``text`` with the arrow keys
    and press Enter, as a user does (a click right after the list opens is ignored by Qt)."""
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=5000)
    target = combo.findText(text)
    for _ in range(combo.count()):
        if view.currentIndex().row() == target:
            break
        qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == target, text
    qtbot.keyClick(view, Qt.Key.Key_Return)


def test_every_button_from_a_file_source(qtbot, workspace, tmp_path):
    from studio.core.export import read_settings

    ws, svc = workspace
    panel = ws.panel
    photo = tmp_path / "source.png"
    rng = np.random.default_rng(1)
    Image.fromarray((rng.random((96, 128, 3)) * 255).astype(np.uint8)).save(photo)
    qtbot.keyClicks(panel.prompt, "a watercolour fox")

    # The source: "Image file..." from the list, then the file dialog.
    answer_file_dialog(qtbot, photo)
    pick_from_list(qtbot, panel.source_kind, "Image file...")
    assert ws.source is not None and ws.source.latest().shape == (96, 128, 3)
    assert panel.source_kind.currentText() == "Image file..."
    assert not panel.freeze_button.isEnabled() and not ws.frozen_view.save_button.isEnabled()

    # Start: the first frame shows "— fps" (one frame is no rate), later ones a number.
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        click(qtbot, panel.start_button)
        assert panel.start_button.text() == "Stop" and ws.running
    assert panel.status.text().startswith("Frame 1  ·  — fps")
    qtbot.waitUntil(
        lambda: re.search(r"\d+\.\d fps", panel.status.text()) is not None, timeout=60000
    )
    assert "img2img" in panel.status.text() and "0.0 fps" not in panel.status.text()

    # Freeze: the frame shows small under the output, with what it is and what to do with it.
    strip = ws.frozen_view
    assert strip.thumbnail.pixmap().isNull() and strip.caption.text().startswith("Freeze a")
    click(qtbot, panel.freeze_button)
    frozen = ws.frozen.image
    assert frozen.size == (256, 256) and strip.canvas_button.isEnabled()
    from studio.ui.widgets.images import qimage_to_array

    thumb = qimage_to_array(strip.thumbnail.pixmap().toImage())
    assert thumb.shape == (88, 88, 3)  # the frozen frame, small: same average colour
    mean = np.asarray(frozen.convert("RGB")).mean(axis=(0, 1))
    assert np.abs(thumb.mean(axis=(0, 1)) - mean).max() < 8
    assert re.fullmatch(
        r"Frozen at \d\d:\d\d:\d\d: 256 x 256, seed 0, “a watercolour fox”\.",
        strip.caption.text(),
    )
    assert strip.note.text() == "Save it, or send it to the Canvas to edit it."

    # Save... through the save dialog (no extension typed: .png is added); a notice says where.
    out = tmp_path / "out"
    out.mkdir()
    answer_file_dialog(qtbot, out / "frame")
    with qtbot.waitSignal(ws.notify, timeout=10000) as notice:
        click(qtbot, ws.frozen_view.save_button)
    assert notice.args == [f"Saved to {out / 'frame.png'}"]
    assert ws.frozen_view.note.text() == f"Saved {out / 'frame.png'}"
    assert sorted(p.name for p in out.iterdir()) == ["frame.png"]  # no temporary left
    saved = Image.open(out / "frame.png")
    assert saved.size == (256, 256)
    assert np.array_equal(np.asarray(saved.convert("RGB")), np.asarray(frozen.convert("RGB")))
    meta = read_settings(out / "frame.png")
    assert meta["prompt"] == "a watercolour fox" and meta["workspace"] == "live"
    assert "blocked_terms" not in meta
    from studio.core.gallery import Gallery

    with Gallery() as gallery:  # recorded on the save's worker, before "Saved" was said
        (entry,) = gallery.entries("live")
    assert (entry.kind, entry.prompt, entry.seed) == ("frame", "a watercolour fox", 0)
    assert entry.outputs == [str((out / "frame.png").resolve())]
    assert entry.settings["strength"] == meta["strength"]
    assert len(entry.models["sd-turbo"]) == 64 and "taesd" in entry.models  # with hashes

    # Send to Canvas: a copy of the frozen frame; the stream carries on.
    with qtbot.waitSignal(ws.send_to_canvas) as sent:
        click(qtbot, ws.frozen_view.canvas_button)
    assert sent.args[0] is not frozen
    assert np.array_equal(np.asarray(sent.args[0]), np.asarray(frozen))
    assert ws.frozen_view.note.text() == "Frame sent to the Canvas." and ws.running
    shot = ws.grab()  # the note shows beside the running readout ($LIVE_BUTTONS_SCREENSHOT)
    assert strip.note.isVisible() and strip.geometry().bottom() < ws.height()
    assert shot.save(os.environ.get("LIVE_BUTTONS_SCREENSHOT") or str(tmp_path / "live.png"))

    # Stop.
    job_id = ws.job_id
    with qtbot.waitSignal(
        svc.job_cancelled, timeout=30000, check_params_cb=lambda j: j.id == job_id
    ):
        click(qtbot, panel.start_button)
    assert not ws.running and panel.start_button.text() == "Start"
    assert panel.status.text() == "Stopped"


def test_a_failed_save_says_so_and_keeps_the_old_file(qtbot, workspace, tmp_path):
    ws, svc = workspace
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        click(qtbot, ws.panel.start_button)
    click(qtbot, ws.panel.freeze_button)
    blocker = tmp_path / "a file"
    blocker.write_text("keep me")
    ws.save_frozen(blocker / "frame.png")  # a folder that is a file: cannot be written
    qtbot.waitUntil(lambda: not ws.frozen.saving, timeout=10000)
    assert ws.panel.error.text().startswith("The frame was not saved. Could not write")
    assert ws.frozen_view.save_button.isEnabled() and blocker.read_text() == "keep me"


def test_prompt_field_uses_the_shared_content_filter(qtbot, workspace):
    """Whole words, as Fill and Headshots match them; the settings' word list plays no part."""

    ws, _svc = workspace
    ws.controls.update(blocked_terms=())  # the stream's old per-settings list: not consulted
    qtbot.keyClicks(ws.panel.prompt, "a castle in Essex")
    assert ws.panel.error.text() == "" and ws.controls.get().prompt == "a castle in Essex"
    ws.panel.prompt.clear()
    qtbot.keyClicks(ws.panel.prompt, "pornographic")
    assert "refused by the content filter (it mentions 'pornographic')" in ws.panel.error.text()
    assert ws.controls.get().prompt == "por"  # the last prompt the filter accepted


def test_readout_shows_a_rate_only_from_the_second_frame():
    from studio.ui.workspaces.live.panel import FrameReadout

    readout = FrameReadout(window=3)
    readout.tick(10.0)
    assert readout.text(1) == "Frame 1  ·  — fps"
    readout.tick(10.5)
    assert readout.text(2) == "Frame 2  ·  2.0 fps"
    for t in (11.0, 11.25, 11.5):  # only the last three frames count
        readout.tick(t)
    assert readout.fps() == pytest.approx(4.0)
    assert readout.text(5, skipped=3).endswith("3 skipped (unchanged input)")
    readout.clear()
    assert readout.fps() is None


def test_endless_stream_reports_no_total_and_a_bounded_one_its_length(run_context, live_store):
    """What the jobs panel shows: an endless stream's progress has total 0 (a frame count,
    never "89/0" of a real total), a stream of N frames has total N."""
    from studio.pipelines.live.jobs import LiveStreamRequest, run_stream
    from studio.pipelines.live.session import LiveControls, LiveSettings

    reports = run_context.reports
    controls = LiveControls(LiveSettings(prompt="a cat", width=64, height=64, optimise="eager"))
    rng = np.random.default_rng(0)
    different = lambda: (rng.random((64, 64, 3)) * 255).astype(np.uint8)  # noqa: E731
    request = LiveStreamRequest(controls=controls, source=different, max_frames=3)
    run_stream(request, run_context)
    assert [r for r in reports if r[0] == "Live"] == [
        ("Live", 1, 3),
        ("Live", 2, 3),
        ("Live", 3, 3),
    ]
    reports.clear()

    def stop_after_two(frame):
        if frame.index == 2:
            run_context.cancel.cancel()

    from studio.core.errors import Cancelled

    with pytest.raises(Cancelled):
        run_stream(
            LiveStreamRequest(controls=controls, source=different, on_frame=stop_after_two),
            run_context,
        )
    assert [r for r in reports if r[0] == "Live"] == [("Live", 1, 0), ("Live", 2, 0)]
