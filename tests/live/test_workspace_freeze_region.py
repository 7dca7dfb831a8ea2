"""Live's F key and File > Export on a running stream, and the screen region dragged out on
the screen: the overlay returns the dragged rectangle, Esc and a right click cancel, a plain
click is no region; the whole way from the source list through the region dialog's "Drag on
screen..." to a screen source of that region."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QRect, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialogButtonBox  # noqa: E402

from studio.ui.shell import workspace_actions  # noqa: E402
from studio.ui.workspaces.live.region_overlay import TOO_SMALL, RegionOverlay  # noqa: E402
from studio.ui.workspaces.live.source_picker import RegionDialog  # noqa: E402
from studio.ui.workspaces.live.workspace import LiveWorkspace  # noqa: E402
from tests.live.test_workspace_buttons import pick_from_list  # noqa: E402
from tests.ui.clicking import answer_file_dialog, click  # noqa: E402
from tests.ui.mnemonics import assert_unique_mnemonics  # noqa: E402


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


def drag(qtbot, widget, start: QPoint, end: QPoint) -> None:
    """Press at ``start``, move half way and to ``end``, release there (the left button)."""
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(widget, (start + end) / 2)
    qtbot.mouseMove(widget, end)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def test_f_freezes_where_the_focus_was_left_and_export_saves_it(qtbot, workspace, tmp_path):
    ws, svc = workspace
    assert ("F", "Freeze the current frame") in ws.shortcut_list()
    assert not workspace_actions.action_enabled(ws, "export")  # nothing frozen yet
    with qtbot.waitSignal(
        svc.job_progress, timeout=60000, check_params_cb=lambda job, u: u.preview is not None
    ):
        click(qtbot, ws.panel.start_button)
    ws.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is ws)

    # Typed into the prompt, F is a letter: nothing is frozen.
    ws.panel.prompt.setFocus()
    qtbot.keyClick(ws.panel.prompt, Qt.Key.Key_F)
    assert ws.panel.prompt.text() == "f" and ws.frozen.image is None

    # With the focus left on the Start button, F freezes the frame on show.
    ws.panel.start_button.setFocus()
    with qtbot.waitSignal(ws.actions_changed):
        qtbot.keyClick(ws.panel.start_button, Qt.Key.Key_F)
    assert ws.frozen.image is not None and ws.frozen.image.size == (256, 256)
    assert not ws.frozen_view.thumbnail.pixmap().isNull()
    assert ws.frozen_view.caption.text().startswith("Frozen at ")
    assert ws.running  # the stream carries on

    # File > Export the first time asks where; then it saves into that folder at once.
    assert workspace_actions.action_enabled(ws, "export")
    out = tmp_path / "frames"
    out.mkdir()
    answer_file_dialog(qtbot, out / "first.png")
    with qtbot.waitSignal(ws.notify, timeout=10000) as notice:
        assert workspace_actions.run_action(ws, "export")
    assert notice.args == [f"Saved to {out / 'first.png'}"]
    opened = []
    ws.opened_file.connect(opened.append)
    with qtbot.waitSignal(ws.notify, timeout=10000) as notice:
        assert workspace_actions.run_action(ws, "export")
    saved = sorted(p.name for p in out.iterdir())
    assert len(saved) == 2 and saved[0] == "first.png" and saved[1].startswith("live-")
    assert notice.args == [f"Saved to {out / saved[1]}"] and opened == [str(out / saved[1])]


def test_file_open_uses_an_image_as_the_source(qtbot, workspace, tmp_path):
    import numpy as np
    from PIL import Image

    ws, _svc = workspace
    photo = tmp_path / "in.png"
    Image.fromarray(np.full((40, 60, 3), 90, np.uint8)).save(photo)
    answer_file_dialog(qtbot, photo)
    with qtbot.waitSignal(ws.opened_file) as opened:
        assert workspace_actions.run_action(ws, "open")
    assert opened.args == [str(photo)] and ws.source.latest().shape == (40, 60, 3)
    assert ws.panel.source_kind.currentText() == "Image file..."
    assert not ws.open_path(tmp_path / "missing.png")
    assert "Could not read the image" in ws.panel.error.text()


def test_the_overlay_returns_the_dragged_rectangle(qtbot):
    overlay = RegionOverlay()
    qtbot.addWidget(overlay)
    overlay.start()
    qtbot.waitExposed(overlay)
    screen = overlay.target_screen.geometry()
    assert overlay.geometry() == screen
    assert overlay.windowFlags() & Qt.WindowType.FramelessWindowHint
    # A plain click is no region: the overlay stays and says so.
    drag(qtbot, overlay, QPoint(50, 50), QPoint(52, 51))
    assert overlay.isVisible() and overlay.hint == TOO_SMALL
    # Dragged up and to the left: the rectangle comes out the right way round.
    with qtbot.waitSignal(overlay.chosen) as chosen:
        drag(qtbot, overlay, QPoint(300, 220), QPoint(40, 30))
    assert chosen.args == [QRect(40, 30, 260, 190)]
    assert not overlay.isVisible()


@pytest.mark.parametrize("how", ["escape", "right click"])
def test_escape_or_a_right_click_cancels_the_overlay(qtbot, how):
    overlay = RegionOverlay()
    qtbot.addWidget(overlay)
    overlay.start()
    qtbot.waitExposed(overlay)
    chosen = []
    overlay.chosen.connect(chosen.append)
    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.mouseMove(overlay, QPoint(120, 90))
    with qtbot.waitSignal(overlay.cancelled):
        if how == "escape":
            qtbot.keyClick(overlay, Qt.Key.Key_Escape)
        else:
            qtbot.mouseClick(overlay, Qt.MouseButton.RightButton, pos=QPoint(60, 60))
    assert not overlay.isVisible() and chosen == []


def test_the_region_dialog_takes_a_drag_on_the_screen(qtbot):
    dialog = RegionDialog(region=QRect(0, 0, 64, 64))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.screen_box.count() == len(QApplication.screens())
    letters = assert_unique_mnemonics(dialog)
    assert letters["d"] == "&Drag on screen…" and letters["w"] == "&Width"
    click(qtbot, dialog.drag_button)
    overlay = dialog.overlay
    qtbot.waitExposed(overlay)
    assert dialog.windowOpacity() == 0.0  # out of the way of what is being picked
    with qtbot.waitSignal(dialog.accepted):
        drag(qtbot, overlay, QPoint(100, 80), QPoint(400, 280))
    assert dialog.region() == QRect(100, 80, 300, 200)
    assert dialog.windowOpacity() == 1.0


def test_screen_region_from_the_source_list_by_dragging(qtbot, workspace):
    from studio.ui.workspaces.live.sources import ScreenSource

    ws, _svc = workspace

    def drag_in_dialog():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RegionDialog):
            QTimer.singleShot(10, drag_in_dialog)
            return
        click(qtbot, dialog.drag_button)
        drag(qtbot, dialog.overlay, QPoint(20, 30), QPoint(220, 180))

    QTimer.singleShot(0, drag_in_dialog)
    pick_from_list(qtbot, ws.panel.source_kind, "Screen region...")
    assert isinstance(ws.source, ScreenSource)
    assert ws.source.region == QRect(20, 30, 200, 150)
    assert ws.panel.source_kind.currentText() == "Screen region..."
    qtbot.waitUntil(lambda: ws.panel.source_view.pixmap() is not None, timeout=5000)


def test_the_screen_source_outlives_the_page_that_made_it(qtbot, live_store, start_cpu_service):
    """The screen picked through the page stays usable once the page and its dialog are
    deleted (PySide6 ties the wrapper of ``QWidget.screen()`` to the widget: not used)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    ws = LiveWorkspace(start_cpu_service(live_store), live_store)
    ws.show()

    def accept_dialog():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RegionDialog):
            QTimer.singleShot(10, accept_dialog)
            return
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        click(qtbot, ok)  # the region typed there: 512 x 512 from the top left

    QTimer.singleShot(0, accept_dialog)
    pick_from_list(qtbot, ws.panel.source_kind, "Screen region...")
    source = ws.source
    source.stop()
    ws.close()
    ws.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    frame = source.grab()  # no "Internal C++ object (QScreen) already deleted"
    assert frame is not None and frame.shape == (512, 512, 3)
