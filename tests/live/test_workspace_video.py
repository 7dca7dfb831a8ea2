"""A video file as Live's source, chosen from the source list through the file dialog: the
clip plays through the img2img loop (looping at its end) and records; a file that is no
video says so and keeps the source as it was."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")
av = pytest.importorskip("av")

from studio.ui.workspaces.live.workspace import LiveWorkspace  # noqa: E402
from tests.live.test_video_v2 import _make_clip  # noqa: E402
from tests.live.test_workspace_buttons import pick_from_list  # noqa: E402
from tests.live.test_workspace_record import frames_of, wait_frames  # noqa: E402
from tests.ui.clicking import answer_file_dialog, click  # noqa: E402


@pytest.fixture
def workspace(qtbot, live_store, start_cpu_service):
    svc = start_cpu_service(live_store)
    ws = LiveWorkspace(svc, live_store)
    qtbot.addWidget(ws)
    ws.panel.frame_size.setCurrentIndex(0)
    ws.resize(1100, 720)
    ws.show()
    yield ws
    ws.stop()
    ws.outputs.join()


def test_a_clip_plays_through_the_loop_and_records(qtbot, workspace, tmp_path):
    from studio.ui.workspaces.live.video_clip import VideoClipSource

    ws = workspace
    clip = _make_clip(tmp_path / "walk.mp4", n=12, fps=10, sound=False)  # 1.2 s
    answer_file_dialog(qtbot, clip)
    pick_from_list(qtbot, ws.panel.source_kind, "Video file...")
    assert isinstance(ws.source, VideoClipSource)
    assert ws.panel.source_kind.currentText() == "Video file..."
    assert ws.panel.status.text() == "walk.mp4: 64 x 48, 10 fps, 1.2 s, played in a loop"
    qtbot.waitUntil(lambda: ws.panel.source_view.pixmap() is not None, timeout=5000)
    first_level = round(float(ws.source.shown().mean()) / 20)
    assert first_level == 0  # the clip's first frame, before anything plays

    click(qtbot, ws.panel.record_button)
    wait_frames(qtbot, ws, 3)
    qtbot.wait(1600)  # past the clip's end: it starts again, the stream goes on
    wait_frames(qtbot, ws, ws.last_frame.index + 2)
    assert ws.running and ws.panel.error.text() == ""
    levels = {round(float(ws.source.shown().mean()) / 20)}
    qtbot.waitUntil(
        lambda: levels.add(round(float(ws.source.shown().mean()) / 20)) or len(levels) >= 3,
        timeout=30000,
    )
    with qtbot.waitSignal(ws.notify, timeout=30000) as notice:
        click(qtbot, ws.panel.record_button)
    video = frames_of(notice.args[0].removeprefix("Saved to "))
    assert len(video) >= 4 and video[0].shape == (256, 256, 3)
    distinct = {v.tobytes() for v in video}
    assert len(distinct) >= 2  # the input moved, so did the output


def test_a_file_that_is_no_video_says_so(qtbot, workspace, tmp_path):
    ws = workspace
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video")
    answer_file_dialog(qtbot, fake)
    pick_from_list(qtbot, ws.panel.source_kind, "Video file...")
    assert ws.panel.error.text() == "notes.mp4 is not a video Studio can read."
    assert ws.source is None and ws.panel.source_kind.currentText() == "None (text to image)"


def test_open_recent_takes_a_video_too(workspace, tmp_path):
    ws = workspace
    clip = _make_clip(tmp_path / "c.mp4", n=4, sound=False)
    assert ws.open_path(str(clip)) is True
    assert ws.source.name == "Video: c.mp4" and np.asarray(ws.source.shown()).shape == (48, 64, 3)
