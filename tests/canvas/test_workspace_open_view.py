"""Opening photos (file, drop, paste, bad files) and zooming / panning the view."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.canvas.conftest import bar_button, open_file


def test_open_file_shows_image_and_fits(workspace, qtbot, photo_file, photo):
    assert workspace.open_path(photo_file)
    assert workspace.panel.status.text() == "Opening astronaut.png…"  # decoded in the background
    assert not workspace.doc.has_image
    qtbot.waitSignal(workspace.image_opened, timeout=15000).wait()
    assert (workspace.doc.image == photo).all()
    pix = workspace.view.image_item.pixmap()
    assert (pix.width(), pix.height()) == (128, 96)
    # fitted: the whole image is visible, scaled up to the view
    assert workspace.view.zoom > 1.0
    assert "128 x 96" in workspace.panel.status.text()
    assert workspace.toolbar.export_action.isEnabled()
    assert not workspace.panel.remove_button.isEnabled()  # nothing selected yet


def failed_open(qtbot, ws, path):
    with qtbot.waitSignal(ws.open_failed, timeout=15000) as failed:
        ws.open_path(path)
    return failed.args[0]


def test_bad_files_show_a_clear_error_and_keep_the_image(workspace, qtbot, photo_file, tmp_path):
    open_file(qtbot, workspace, photo_file)
    truncated = tmp_path / "broken.png"
    truncated.write_bytes(photo_file.read_bytes()[:200])
    message = failed_open(qtbot, workspace, truncated)
    box = workspace.last_error_box
    assert box.isVisible() and box.text() == message
    assert "broken.png" in message and "truncated" in message
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    assert "not an image Studio can read" in failed_open(qtbot, workspace, text)
    gif = tmp_path / "anim.gif"
    from PIL import Image

    Image.new("RGB", (8, 8)).save(gif)
    assert "GIF file; Studio reads PNG, JPEG, WebP and TIFF" in failed_open(qtbot, workspace, gif)
    # missing files and folders are refused at once (False), with a box too
    for path, says in ((tmp_path / "gone.png", "does not exist"), (tmp_path, "is a folder")):
        with qtbot.waitSignal(workspace.open_failed) as failed:
            assert workspace.open_path(path) is False
        assert says in failed.args[0] and says in workspace.last_error_box.text()
    assert workspace.doc.source_name == "astronaut.png"


def test_drop_a_file_on_the_view(workspace, qtbot, photo_file):
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(photo_file))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(workspace.image_opened):
        workspace.view.dropEvent(event)
    assert workspace.doc.source_name == "astronaut.png"


def test_paste_from_clipboard(workspace, qtbot, photo):
    h, w = photo.shape[:2]
    QGuiApplication.clipboard().setImage(
        QImage(np.ascontiguousarray(photo).data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    )
    with qtbot.waitSignal(workspace.image_opened):
        assert workspace.paste()
    assert workspace.doc.size == (w, h)
    assert (workspace.doc.image == photo).all()


def test_open_a_pil_image_like_a_live_frame(workspace, qtbot):
    from PIL import Image

    with qtbot.waitSignal(workspace.image_opened):
        assert workspace.open_image(Image.new("RGBA", (64, 48), (10, 200, 30, 255)), "Live frame")
    assert workspace.doc.source_name == "Live frame"
    assert workspace.current_image().shape == (48, 64, 3)
    assert tuple(workspace.current_image()[0, 0]) == (10, 200, 30)


def test_wheel_zoom_fit_actual_size_and_pan(workspace, photo_file, qtbot):
    view = workspace.view
    open_file(qtbot, workspace, photo_file)
    fitted = view.zoom
    centre = QPointF(view.viewport().width() / 2, view.viewport().height() / 2)
    wheel = QWheelEvent(
        centre,
        view.viewport().mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 480),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom > fitted * 1.5
    qtbot.mouseClick(bar_button(workspace, "actual_action"), Qt.MouseButton.LeftButton)
    assert abs(view.zoom - 1.0) < 1e-6
    view.set_zoom(20.0)
    bar = view.horizontalScrollBar()
    start = bar.value()
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.MiddleButton, pos=QPoint(300, 300))
    qtbot.mouseMove(vp, QPoint(200, 300))
    qtbot.mouseRelease(vp, Qt.MouseButton.MiddleButton, pos=QPoint(200, 300))
    assert bar.value() == start + 100
    qtbot.mouseClick(bar_button(workspace, "fit_action"), Qt.MouseButton.LeftButton)
    assert abs(view.zoom - fitted) < 1e-6


def test_empty_view_tells_how_to_open_a_photo(qtbot):
    from studio.ui.workspaces.canvas.view import CanvasView

    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    empty = view.grab().toImage()
    centre = [empty.pixelColor(x, 200).lightness() for x in range(150, 450)]
    assert max(centre) > 150  # light hint text on the dark background
