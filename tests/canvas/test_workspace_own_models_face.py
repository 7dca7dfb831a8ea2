"""The Canvas window with your own models (Fill's model and LoRA choosers), the Face detail
tool and "use these settings again": real widgets clicked with the mouse over the real service
and tiny models through the production loaders."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.models.imports import import_model
from tests.canvas.conftest import open_file, square_mask
from tests.canvas.own_model_files import build_own_files, install_own

LEFT = Qt.MouseButton.LeftButton


def click(qtbot, widget):
    assert widget.isVisible() and widget.isEnabled(), widget
    qtbot.mouseClick(widget, LEFT)


def pick(qtbot, combo, value):
    """Open ``combo``'s list with the mouse (it is filled then) and choose the item holding
    ``value`` with the arrow keys and Enter, as a keyboard user does."""
    click(qtbot, combo)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    index = combo.findData(value)
    assert index >= 0, [combo.itemData(i) for i in range(combo.count())]
    steps = index - view.currentIndex().row()
    key = Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up
    for _ in range(abs(steps)):
        qtbot.keyClick(view, key)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible())
    assert combo.currentData() == value


def wait_job(qtbot, ws):
    qtbot.waitUntil(lambda: ws.controller.action_job is None, timeout=180000)


@pytest.fixture
def own(store, tmp_path_factory):
    return install_own(store, build_own_files(tmp_path_factory))


def test_fill_with_your_model_and_lora_from_more(
    own, workspace, qtbot, photo_file, tmp_path, tmp_path_factory
):
    """Imported before the window opened: both are offered, marked as yours; a LoRA imported
    while it is open shows when the list opens. The fill records their ids."""
    from studio.models.imports import LORA_FILE
    from tests.fixtures.diffusion import build_tiny_lcm_lora_sdxl

    checkpoint, lora = own
    ws, p = workspace, workspace.panel
    open_file(qtbot, ws, photo_file)
    ws.doc.set_mask(square_mask(ws.doc.image.shape), "Brush")
    if not p.more_button.isChecked():
        click(qtbot, p.more_button)
    models = p.fill_models
    names = [models.model.itemText(i) for i in range(models.model.count())]
    assert models.model.itemData(0) == "sdxl-inpaint" and len(names) == 2
    assert names[1].endswith("(provided by you)")
    assert not models.weight.isEnabled()  # no LoRA chosen: no weight to set

    # Another LoRA imported while the window is open (as the Models dialog does): the list
    # shows it when it opens.
    root = build_own_files(tmp_path_factory)
    build_tiny_lcm_lora_sdxl(tmp_path / "later", root / "sdxl-inpaint", rank=3)
    later = import_model(ws.store, tmp_path / "later" / LORA_FILE, name="Later style")
    pick(qtbot, models.lora, later.id)
    assert models.lora.currentText() == "Later style (provided by you)"
    pick(qtbot, models.model, checkpoint)
    pick(qtbot, models.lora, lora)
    assert models.weight.isEnabled()
    models.weight.setValue(0.5)
    p.prompt.setText("a red balloon")
    p.steps.setValue(2)
    p.work_side.setValue(128)
    p.seed.setValue(4)
    click(qtbot, p.fill_button)
    wait_job(qtbot, ws)
    edit = ws.doc.edits()[-1]
    assert edit.op == "Fill", p.status.text()
    assert (edit.settings["model"], edit.settings["lora"]) == (checkpoint, lora)
    assert edit.settings["lora_weight"] == 0.5
    mine = ws.doc.image.copy()

    # Back to the catalogue's model, no LoRA: another picture from the same seed.
    pick(qtbot, models.model, "sdxl-inpaint")
    pick(qtbot, models.lora, "")
    ws.doc.set_mask(square_mask(ws.doc.image.shape), "Brush")  # an edit resets the selection
    click(qtbot, p.fill_button)
    wait_job(qtbot, ws)
    assert ws.doc.edits()[-1].settings["model"] == "sdxl-inpaint"
    assert "lora" not in ws.doc.edits()[-1].settings
    assert not np.array_equal(ws.doc.image, mine)

    # The earlier fill's settings, reused: the model and LoRA are chosen again.
    assert ws.apply_settings({"workspace": "canvas", **ws.doc.edits()[-2].settings})
    assert (models.model.currentData(), models.lora.currentData()) == (checkpoint, lora)
    assert models.weight.value() == 0.5 and p.seed.value() == 4


@pytest.fixture(scope="module")
def face_folders(tmp_path_factory):
    from tests.fixtures.face_models import build_tiny_antelopev2
    from tests.fixtures.face_restore_models import build_tiny_restoreformer

    root = tmp_path_factory.mktemp("canvas_face_tool")
    build_tiny_antelopev2(root / "antelopev2")
    build_tiny_restoreformer(root / "restoreformer")
    return root


@pytest.fixture
def portrait_file(tmp_path):
    """scikit-image's astronaut at 192 px: the tiny detector finds one face near the middle."""
    from PIL import Image
    from skimage import data

    path = tmp_path / "portrait.png"
    Image.fromarray(data.astronaut()).resize((192, 192)).save(path)
    return path


def test_face_detail_from_the_panel_and_the_tool_bar(
    workspace, qtbot, store, face_folders, portrait_file
):
    from tests.canvas.conftest import bar_button
    from tests.fixtures.install import install_copy

    for model_id in ("antelopev2", "restoreformer"):
        install_copy(store, model_id, face_folders / model_id)
    ws, p = workspace, workspace.panel
    open_file(qtbot, ws, portrait_file)
    before = ws.doc.image.copy()
    row = p.face_row
    assert not row.model.isVisible()  # one restoration model installed: nothing to choose
    row.strength.setValue(0.8)
    click(qtbot, p.face_button)
    assert ws.controller.action_job is not None and ws.busy.cancel_button.isVisible()
    assert not p.face_button.isEnabled() and not ws.toolbar.face_action.isEnabled()
    wait_job(qtbot, ws)
    edit = ws.doc.edits()[-1]
    assert edit.op == "Face detail", p.status.text()
    assert edit.settings["strength"] == 0.8 and edit.settings["model"] == "restoreformer"
    assert edit.settings["faces"] == 1 and edit.settings["in_selection"] is False
    restored = ws.doc.image.copy()
    assert np.any(restored != before) and p.status.text().startswith("Restored 1 face")
    click(qtbot, bar_button(ws, "undo_action"))
    assert np.array_equal(ws.doc.image, before)

    # A selection without the face: nothing changes, and the status line says why.
    corner = np.zeros(before.shape[:2], np.uint8)
    corner[:20, :20] = 255
    ws.doc.set_mask(corner, "Brush")
    edits = len(ws.doc.edits())
    click(qtbot, bar_button(ws, "face_action"))
    wait_job(qtbot, ws)
    assert len(ws.doc.edits()) == edits and np.array_equal(ws.doc.image, before)
    assert "No face is inside the selection" in p.status.text()

    # Half of the face selected: only those pixels take the restored face.
    half = np.zeros(before.shape[:2], np.uint8)
    half[:, :96] = 255
    ws.doc.set_mask(half, "Brush")
    click(qtbot, bar_button(ws, "face_action"))
    wait_job(qtbot, ws)
    edit = ws.doc.edits()[-1]
    assert edit.op == "Face detail" and edit.settings["in_selection"] is True
    out = ws.doc.image
    assert np.array_equal(out[:, 96:], before[:, 96:])
    assert np.array_equal(out[:, :96], restored[:, :96])


def test_face_detail_without_models_names_them(workspace, qtbot, portrait_file):
    ws, p = workspace, workspace.panel
    open_file(qtbot, ws, portrait_file)
    before = ws.doc.image.copy()
    click(qtbot, p.face_button)
    wait_job(qtbot, ws)
    assert "not installed" in p.status.text() and "studio models download" in p.status.text()
    assert np.array_equal(ws.doc.image, before) and ws.history.labels() == ["Original"]


def test_apply_settings_takes_fill_settings_and_refuses_others(workspace, qtbot):
    """An exported file's settings list every edit (the last Fill's are reused); a CLI
    output's PNG text holds strings; another workspace's settings are refused."""
    ws, p = workspace, workspace.panel
    exported = {
        "source": "street.png",
        "edits": [
            {"op": "Fill", "prompt": "old", "seed": 1},
            {
                "op": "Fill",
                "prompt": "a lamp post",
                "negative_prompt": "blur",
                "seed": 77,
                "steps": 12,
                "strength": 0.8,
                "guidance": 5.5,
                "fast": False,
                "model": "sdxl-inpaint",
            },
            {"op": "Upscale x4", "model": "realesrgan-x4plus", "scale": 4},
        ],
    }
    assert ws.apply_settings(exported)
    assert (p.prompt.text(), p.negative.text(), p.seed.value()) == ("a lamp post", "blur", 77)
    assert (p.steps.value(), p.strength.value(), p.guidance.value()) == (12, 0.8, 5.5)
    assert p.fill_models.model.currentData() == "sdxl-inpaint"
    cli_png = {
        "kind": "canvas.fill",
        "workspace": "canvas",
        "prompt": "a boat",
        "seed": 5,
        "steps": "6",
        "fast": "True",
        "guidance": "1.0",
        "model": "user-gone",
    }
    assert ws.apply_settings(cli_png)
    assert p.fast.isChecked() and p.steps.value() == 6 and p.guidance.value() == 1.0
    assert "not here: user-gone" in p.status.text()
    assert p.fill_models.model.currentData() == "sdxl-inpaint"  # kept
    assert not ws.apply_settings({"workspace": "headshots", "prompt": "x", "seed": 1})
    assert not ws.apply_settings({"source": "a.png", "edits": [{"op": "Remove"}]})
    assert p.prompt.text() == "a boat"


def test_a_dropped_canvas_export_sets_fill_again(qtbot, store, tmp_path):
    """The whole path in the real window: an image the Canvas exported (its edit list in the
    file) dropped on the window, "use these settings" clicked: Fill's fields take them."""
    from PIL import Image

    from studio.core.export import export_image
    from studio.core.settings import Settings
    from studio.services.inference import InferenceService
    from studio.ui.shell.main_window import MainWindow
    from tests.ui.shell.harness import close_and_wait
    from tests.ui.shell.test_gallery import _drop

    gpu = InferenceService(store, device="cpu")
    downloads = InferenceService(store, device="none", runners={}, name="downloads")
    win = MainWindow(Settings(welcomed=True), store, gpu, downloads)
    gpu.start()
    downloads.start()
    win.show()
    qtbot.waitExposed(win)
    try:
        settings = {
            "source": "beach.png",
            "size": [32, 24],
            "edits": [{"op": "Fill", "prompt": "a sailing boat", "seed": 31, "steps": 9}],
        }
        exported = export_image(Image.new("RGB", (32, 24)), tmp_path / "boat.png", settings)
        assert _drop(win, exported)
        qtbot.waitUntil(lambda: win.drops.box is not None, timeout=10000)
        with qtbot.waitSignal(win.settings_reused):
            qtbot.mouseClick(win.drops.reuse_button, LEFT)
        canvas = win.workspaces["canvas"]
        assert win.current_workspace() is canvas
        p = canvas.panel
        assert (p.prompt.text(), p.seed.value(), p.steps.value()) == ("a sailing boat", 31, 9)
    finally:
        close_and_wait(qtbot, win)


def test_face_detail_can_repaint_with_the_fill_prompt(
    workspace, qtbot, store, sdxl, face_folders, portrait_file
):
    """With Fill's models installed the face tool offers "Repaint": a few SDXL inpainting
    steps per face with the Fill prompt, one undoable step, pixels away from it unchanged."""
    from tests.fixtures.install import install_copy

    for model_id in ("antelopev2", "restoreformer"):
        install_copy(store, model_id, face_folders / model_id)
    ws, p = workspace, workspace.panel
    open_file(qtbot, ws, portrait_file)
    before = ws.doc.image.copy()
    row = p.face_row
    assert row.model.isVisible()  # RestoreFormer or Repaint: a choice to make
    pick(qtbot, row.model, "inpaint")
    assert row.strength.value() == 0.4  # repainting's own default
    p.prompt.setFocus()
    qtbot.keyClicks(p.prompt, "a sharp detailed face")
    click(qtbot, p.face_button)
    wait_job(qtbot, ws)
    edit = ws.doc.edits()[-1]
    assert edit.op == "Face detail", p.status.text()
    assert edit.settings["method"] == "inpaint" and edit.settings["faces"] == 1
    assert p.status.text().startswith("Repainted 1 face")
    changed = np.any(ws.doc.image != before, axis=2)
    assert changed.any() and not changed[:8].any() and not changed[-8:].any()
