"""The Style step's Pose list and "Repaint faces" switch, clicked and typed down to the pack
job the Generate button submits (the headshot models are not installed, so the job stops at
once naming them, after the request was made)."""

from __future__ import annotations

import pytest
from PIL import Image

from studio.pipelines.canvas.fill import LCM_LORA_ID, SDXL_INPAINT_ID
from studio.pipelines.headshots import pose
from studio.ui.workspaces.headshots import pose_picker
from tests.fixtures.install import install_copy
from tests.ui.clicking import answer_file_dialog

SELFIES, STYLE, REVIEW = 0, 1, 2


def test_the_window_names_the_pipeline_poses_and_models():
    assert pose_picker.POSE_PRESETS == pose.POSE_PRESETS
    assert pose_picker.POSE_MODEL == pose.MODEL_ID
    assert pose_picker.FACE_FIX_MODELS == (SDXL_INPAINT_ID, LCM_LORA_ID)


@pytest.fixture(scope="module")
def pose_and_inpaint(tmp_path_factory, built_models, sdxl_folders):
    """The tiny pose net beside links to the shared tiny SDXL inpainting folders."""
    from tests.fixtures.pose_models import build_tiny_pose_controlnet

    root = tmp_path_factory.mktemp("pose_ui")
    build_tiny_pose_controlnet(root / pose.MODEL_ID, built_models["realvisxl-v4-lightning"])
    for model_id in (SDXL_INPAINT_ID, LCM_LORA_ID):
        (root / model_id).symlink_to(sdxl_folders / model_id, target_is_directory=True)
    return root


@pytest.fixture
def workspace(qtbot, start_cpu_service, store):
    from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

    service = start_cpu_service(store)
    ws = HeadshotsWorkspace(service, store)
    qtbot.addWidget(ws)
    ws.resize(1100, 720)
    ws.show()
    qtbot.waitExposed(ws)
    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    return ws, service


def test_pose_and_repaint_wait_for_their_models_then_reach_the_pack_job(
    qtbot, clicks, workspace, store, pose_and_inpaint, tmp_path, photos
):
    ws, service = workspace
    me = tmp_path / "me.jpg"
    Image.fromarray(photos["astronaut"]).save(me)
    clicks.button(ws.selfie_step.add_button)
    with qtbot.waitSignal(service.job_finished, timeout=60000):
        clicks.answer_file_dialog(ws.selfie_step, me)
    clicks.tab(ws.tabs, STYLE)
    picker = ws.style_step.pose
    assert not picker.box.isEnabled() and not picker.face_fix.isEnabled()
    assert picker.hint.isVisible()
    assert "Poses need" in picker.hint.text() and "Tools > Models" in picker.hint.text()
    assert "repainting faces needs" in picker.hint.text()
    assert picker.pose() == "" and picker.face_fix_method() == ""

    # downloaded meanwhile: picked up when the step is shown again
    for model_id in (pose.MODEL_ID, SDXL_INPAINT_ID, LCM_LORA_ID):
        install_copy(store, model_id, pose_and_inpaint / model_id)
    clicks.tab(ws.tabs, SELFIES)
    clicks.tab(ws.tabs, STYLE)
    assert picker.box.isEnabled() and picker.face_fix.isEnabled()
    assert not picker.hint.isVisible()

    # "From a photo…" opens a file dialog; the list then names the photo
    ref = tmp_path / "turned head.png"
    Image.fromarray(photos["astronaut"]).save(ref)
    answer_file_dialog(qtbot, ref)
    clicks.choose_in_combo(picker.box, picker.box.count() - 1)
    assert picker.pose() == ref and picker.box.currentText() == "Like turned head.png"
    # a preset, by the arrow keys from the top
    clicks.choose_in_combo(picker.box, 2)
    assert picker.pose() == "three-quarter-left"
    assert picker.box.currentText() == "Three-quarter, facing left"
    clicks.button(picker.face_fix)
    assert picker.face_fix_method() == "inpaint"

    clicks.tab(ws.tabs, REVIEW)
    queued = []
    service.job_queued.connect(lambda job: queued.append(job.request))
    with qtbot.waitSignal(service.job_failed, timeout=60000) as failed:
        clicks.button(ws.generate_button)
    [request] = queued
    assert (request.pose, request.face_fix) == ("three-quarter-left", "inpaint")
    assert "not installed" in failed.args[1]


def test_use_these_settings_again_brings_back_a_preset_pose_and_the_face_fix(
    qtbot, workspace, store, pose_and_inpaint
):
    ws, _service = workspace
    for model_id in (pose.MODEL_ID, SDXL_INPAINT_ID, LCM_LORA_ID):
        install_copy(store, model_id, pose_and_inpaint / model_id)
    ws.style_step.pose.refresh()
    settings = {
        "workspace": "headshots",
        "style": "corporate",
        "pose_kind": "head-tilt",
        "face_fix": "inpaint",
    }
    assert ws.apply_settings(settings)
    picker = ws.style_step.pose
    assert picker.pose() == "head-tilt" and picker.face_fix_method() == "inpaint"
    assert not ws.apply_settings({"workspace": "headshots", "pose_kind": "cartwheel"})
    assert picker.pose() == "head-tilt"  # nothing changed
