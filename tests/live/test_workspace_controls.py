"""Live's model list and the controls under "More", clicked and typed into on the real
widgets over the real CPU service with tiny models: each control changes the next frame
(or, for the similar-frame filter, whether the next frames are skipped)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from studio.ui.workspaces.live.sources import FrameSource  # noqa: E402
from studio.ui.workspaces.live.workspace import LiveWorkspace  # noqa: E402
from tests.live import models_v2  # noqa: E402
from tests.live.test_workspace_buttons import pick_from_list  # noqa: E402
from tests.ui.clicking import click  # noqa: E402

SD15 = "Stable Diffusion 1.5 (with LCM-LoRA)"


@pytest.fixture(scope="module")
def tiny_lcm_dirs(tmp_path_factory, tiny_sd_dir):
    sd15 = tmp_path_factory.mktemp("tiny_sd15")
    lora = tmp_path_factory.mktemp("tiny_lcm_lora")
    models_v2.build_tiny_sd15(sd15, tiny_sd_dir)
    models_v2.build_tiny_lcm_lora(lora, tiny_sd_dir)
    return sd15, lora


def _workspace(qtbot, svc, store):
    ws = LiveWorkspace(svc, store)
    qtbot.addWidget(ws)
    ws.panel.frame_size.setCurrentIndex(0)  # 256 x 256 keeps the CPU test quick
    ws.panel.speed.setCurrentIndex(ws.panel.speed.findData("eager"))
    image = (np.random.default_rng(3).random((96, 96, 3)) * 255).astype(np.uint8)
    ws.set_source(FrameSource(image))
    ws.resize(1100, 720)
    ws.show()
    return ws


@pytest.fixture
def workspace(qtbot, live_store, start_cpu_service):
    ws = _workspace(qtbot, start_cpu_service(live_store), live_store)
    yield ws
    ws.stop()


def frame_after_change(qtbot, ws, timeout=60000):
    """The first frame the stream began after now: the frame in flight may still have the
    old settings, the one after it cannot (the filter is off: no frame is skipped)."""
    now = ws.last_frame.index
    qtbot.waitUntil(lambda: ws.last_frame.index >= now + 2, timeout=timeout)
    return ws.last_frame.image.copy()


def start(qtbot, ws):
    click(qtbot, ws.panel.start_button)
    qtbot.waitUntil(lambda: ws.last_frame is not None, timeout=60000)


def type_into(qtbot, widget, text):
    """Select what the field holds and type over it, as a user does."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def test_model_list_marks_what_is_missing_and_non_commercial(qtbot, workspace):
    ws = workspace
    picker = ws.panel.model_picker
    assert [picker.combo.itemText(i) for i in range(picker.combo.count())] == [
        "SD-Turbo",
        "SDXL-Turbo (non-commercial, not installed)",
        f"{SD15} (not installed)",
    ]
    assert not picker.note.isVisible() and not picker.get_button.isVisible()
    pick_from_list(qtbot, ws.panel.model, "SDXL-Turbo (non-commercial, not installed)")
    assert picker.note.isVisible() and picker.get_button.isVisible()
    assert picker.note.text() == (
        "Not installed: click Get…, or run studio models download sdxl-turbo"
    )
    assert ws.panel.error.text() == ""  # the note says it; the error line stays free
    # SDXL-Turbo works at 512-768: the smaller sizes are greyed out, 256 moved up to 512
    assert ws.panel.frame_size.currentData() == 512 and ws.controls.get().width == 512
    assert not ws.panel.frame_size.model().item(0).isEnabled()
    assert ws.panel.status.text() == (
        "SDXL-Turbo works best at 512-768 px: the size is now 512 x 512."
    )
    assert picker.get_button.toolTip() == (
        "SDXL-Turbo is not installed: download it in Tools > Models, "
        "or run: studio models download sdxl-turbo"
    )
    click(qtbot, picker.get_button)  # no main window here: the command is the way
    assert ws.panel.error.text() == picker.get_button.toolTip()
    pick_from_list(qtbot, ws.panel.model, f"{SD15} (not installed)")
    assert "studio models download sd-v1-5" in picker.note.text()
    assert ws.panel.frame_size.model().item(0).isEnabled()  # 256 is fine for SD 1.5
    # The SD 1.5 model is there but not its LCM-LoRA: the LoRA is what is missing.
    from tests.fixtures.install import install_copy

    install_copy(ws.store, "sd-v1-5", ws.store.require("sd-turbo"))
    picker.refresh()
    assert picker.combo.currentText() == f"{SD15} (not installed)"
    assert "studio models download lcm-lora-sdv1-5" in picker.note.text()


def test_get_opens_the_models_dialog_on_the_model_in_the_window(qtbot, live_store):
    from studio.core.settings import Settings
    from studio.services.inference import InferenceService
    from studio.ui.shell.main_window import MainWindow

    gpu = InferenceService(live_store, device="cpu", runners={})
    downloads = InferenceService(live_store, device="none", runners={}, name="downloads")
    window = MainWindow(Settings(welcomed=True), live_store, gpu, downloads)
    qtbot.addWidget(window)
    live = window.workspaces["live"]
    window.show_workspace("live")
    window.show()
    pick_from_list(qtbot, live.panel.model, "SDXL-Turbo (non-commercial, not installed)")
    click(qtbot, live.panel.model_picker.get_button)
    qtbot.waitUntil(lambda: window.models_dialog.isVisible(), timeout=5000)
    assert window.models_dialog.selected_ids() == ["sdxl-turbo"]
    window.models_dialog.reject()
    window.close()


def test_more_folds_the_advanced_controls_and_each_changes_the_next_frame(qtbot, workspace):
    ws = workspace
    panel, more = ws.panel, ws.panel.more
    assert not more.isVisible() and panel.source_view.isVisible()
    click(qtbot, panel.more_button)
    assert more.isVisible() and not panel.source_view.isVisible()
    # sd-turbo: one step, no guidance, no negative prompt (greyed out, with the reason).
    assert not more.steps.isEnabled() and not more.guidance.isEnabled()
    assert not more.negative.isEnabled() and "without guidance" in more.negative.toolTip()

    click(qtbot, more.skip_similar)  # off: every frame rendered, none skipped
    assert ws.controls.get().filter_enabled is False
    start(qtbot, ws)
    base = frame_after_change(qtbot, ws)
    assert np.array_equal(base, frame_after_change(qtbot, ws))  # steady: the seed is locked
    assert ws.skipped_frames == 0

    qtbot.keyClicks(more.prompt_b, "a red dog")  # no travel yet: the same picture
    assert ws.controls.get().prompt_b == "a red dog"
    assert np.array_equal(frame_after_change(qtbot, ws), base)
    more.travel.setFocus()
    qtbot.keyClick(more.travel, Qt.Key.Key_End)  # all the way to the second prompt
    assert more.travel_label.text() == "1.00" and ws.controls.get().travel == 1.0
    travelled = frame_after_change(qtbot, ws)
    assert not np.array_equal(travelled, base)

    click(qtbot, more.seed_lock)  # unlocked: fresh noise each frame
    assert ws.controls.get().seed_lock is False
    one, two = frame_after_change(qtbot, ws), frame_after_change(qtbot, ws)
    assert not np.array_equal(one, travelled) and not np.array_equal(one, two)


def test_the_similar_frame_filter_switch_and_maximum(qtbot, workspace):
    ws = workspace
    more = ws.panel.more
    click(qtbot, ws.panel.more_button)
    assert more.skip_similar.isChecked() and more.max_skip.isEnabled()
    start(qtbot, ws)  # a still image: unchanged input, frames are skipped
    qtbot.waitUntil(lambda: ws.skipped_frames >= 3, timeout=60000)
    type_into(qtbot, more.threshold, "0.9")
    assert ws.controls.get().similarity_threshold == pytest.approx(0.9)
    type_into(qtbot, more.max_skip, "0")  # never skip more than 0 in a row: none skipped
    assert ws.controls.get().max_skip == 0
    qtbot.waitUntil(lambda: ws.last_frame is not None, timeout=10000)
    rendered = ws.last_frame.index
    qtbot.waitUntil(lambda: ws.last_frame.index >= rendered + 1, timeout=60000)
    skipped = ws.skipped_frames
    qtbot.waitUntil(lambda: ws.last_frame.index >= rendered + 4, timeout=60000)
    assert ws.skipped_frames == skipped  # every frame rendered since
    click(qtbot, more.skip_similar)
    assert not more.max_skip.isEnabled() and ws.controls.get().filter_enabled is False


def test_switching_to_the_lcm_model_restarts_and_its_controls_change_the_frame(
    qtbot, live_store, tiny_lcm_dirs, start_cpu_service
):
    from tests.fixtures.install import install_copy

    sd15, lora = tiny_lcm_dirs
    install_copy(live_store, "sd-v1-5", sd15)
    install_copy(live_store, "lcm-lora-sdv1-5", lora)
    ws = _workspace(qtbot, start_cpu_service(live_store), live_store)
    more = ws.panel.more
    click(qtbot, ws.panel.more_button)
    click(qtbot, more.skip_similar)
    start(qtbot, ws)
    first_job = ws.job_id
    pick_from_list(qtbot, ws.panel.model, SD15)
    assert ws.job_id != first_job and ws.running  # a new stream on the new model
    assert ws.panel.status.text() == f"Switching to {SD15}: loading it..."
    assert ws.controls.get().model_id == "sd-v1-5"
    assert more.steps.isEnabled() and (more.steps.minimum(), more.steps.maximum()) == (2, 4)
    assert more.guidance.isEnabled() and more.negative.isEnabled()
    qtbot.waitUntil(lambda: ws.last_frame is not None and ws.last_frame.index >= 1, timeout=60000)

    base = frame_after_change(qtbot, ws)
    more.steps.setFocus()
    qtbot.keyClick(more.steps, Qt.Key.Key_Down)  # 4 -> 3 steps
    assert ws.controls.get().lcm_steps == 3
    fewer_steps = frame_after_change(qtbot, ws)
    assert not np.array_equal(fewer_steps, base)

    qtbot.keyClicks(more.negative, "the dog")  # guidance 1: the negative prompt waits
    assert np.array_equal(frame_after_change(qtbot, ws), fewer_steps)
    type_into(qtbot, more.guidance, "2.5")
    assert ws.controls.get().guidance == pytest.approx(2.5)
    guided = frame_after_change(qtbot, ws)
    assert not np.array_equal(guided, fewer_steps)
    type_into(qtbot, more.negative, "a red bus")
    assert ws.controls.get().negative_prompt == "a red bus"
    assert not np.array_equal(frame_after_change(qtbot, ws), guided)
    ws.stop()
