"""A new document (open, paste, Send to Canvas) shows nothing of the previous one and is fitted."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from studio.ui.widgets.images import thumbnail_icon
from tests.canvas.conftest import open_file, square_mask


def icon_pixels(icon):
    image = icon.pixmap(64, 64).toImage()
    return [image.pixel(x, y) for x in range(0, image.width(), 7) for y in (10, 20, 30)]


def zoom_in(view):
    centre = QPointF(view.viewport().width() / 2, view.viewport().height() / 2)
    QApplication.sendEvent(
        view.viewport(),
        QWheelEvent(
            centre,
            view.viewport().mapToGlobal(centre),
            QPoint(0, 0),
            QPoint(0, 480),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        ),
    )


def fitted_in(view):
    """The whole image is visible and fills the view in one direction."""
    shown = view.mapFromScene(view.image_item.sceneBoundingRect()).boundingRect()
    port = view.viewport().rect()
    inside = port.adjusted(-2, -2, 2, 2).contains(shown)
    return inside and (shown.width() >= port.width() - 4 or shown.height() >= port.height() - 4)


def test_first_open_shows_the_original_in_the_strip(workspace, qtbot, photo_file):
    assert workspace.history.count() == 0
    open_file(qtbot, workspace, photo_file)
    assert workspace.history.labels() == ["Original"]
    assert workspace.history.currentRow() == 0


def test_opening_b_after_editing_a_resets_everything(workspace, qtbot, sdxl, photo_file, tmp_path):
    from PIL import Image

    ws, p, view = workspace, workspace.panel, workspace.view
    open_file(qtbot, ws, photo_file)
    fitted = view.zoom
    ws.doc.set_mask(square_mask(ws.doc.image.shape), "Brush")
    p.prompt.setText("a red balloon")
    p.steps.setValue(2)
    p.variations.setValue(2)
    p.work_side.setValue(128)
    qtbot.mouseClick(p.fill_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.controller.action_job is None, timeout=120000)
    assert p.variation_list.isVisible() and p.variation_list.count() == 2
    assert ws.history.labels() == ["Original", "Fill"]
    assert not ws.busy.isVisible() and "Fill done" in p.status.text()
    zoom_in(view)
    ws.toolbar.compare.setValue(40)
    assert view.zoom > fitted * 1.5 and not fitted_in(view)
    ws.doc.stack.setClean()  # exported: no question box

    other = np.asarray(Image.open(photo_file))[::-1].copy()  # B: same size, other pixels
    b_file = tmp_path / "b.png"
    Image.fromarray(other).save(b_file)
    open_file(qtbot, ws, b_file)
    assert (ws.doc.image == other).all() and ws.doc.source_name == "b.png"
    assert ws.history.labels() == ["Original"]
    assert icon_pixels(ws.history.item(0).icon()) == icon_pixels(thumbnail_icon(other, 64))
    assert not p.variation_list.isVisible() and p.variation_list.count() == 0
    assert ws.controller.fill_command is None
    assert not ws.busy.isVisible()
    assert "b.png: 128 x 96" in p.status.text()
    assert fitted_in(view)  # fitted again, though the size is the same
    assert ws.toolbar.compare.value() == 0 and not view.before_clip.isVisible()
    assert not ws.toolbar.undo_action.isEnabled() and not ws.doc.mask.any()


def test_a_live_frame_is_a_new_document_too(workspace, qtbot, photo_file):
    from PIL import Image

    ws = workspace
    open_file(qtbot, ws, photo_file)
    ws.doc.apply_image(ws.doc.image // 2, "Remove", {})
    ws.doc.stack.setClean()
    with qtbot.waitSignal(ws.image_opened):
        ws.open_image(Image.new("RGB", (64, 48), (10, 200, 30)), "Live frame")
    assert ws.history.labels() == ["Original"] and ws.doc.size == (64, 48)
    assert fitted_in(ws.view)


def test_a_newer_open_wins_over_a_slower_older_one(workspace, qtbot, photo_file, tmp_path):
    from PIL import Image

    ws = workspace
    second = tmp_path / "second.png"
    Image.new("RGB", (40, 30), (1, 2, 3)).save(second)
    ws.open_path(photo_file)
    with qtbot.waitSignal(ws.image_opened) as opened:
        ws.open_path(second)
    qtbot.waitUntil(lambda: not ws.io.busy)  # every result has arrived: the older one dropped
    assert opened.args == ["second.png"] and ws.doc.source_name == "second.png"
