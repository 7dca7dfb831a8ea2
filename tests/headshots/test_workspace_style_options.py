"""The Style step's format, face detail and More options, clicked and typed, down to the pack
job the Generate button submits (over a real CPU service; the headshot models are not
installed, so the job stops at once, naming them, after the request was made)."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QSize, Qt

from studio.pipelines.headshots.finishing import FACE_DETAIL_ID
from studio.ui.workspaces.headshots.style_options import FACE_DETAIL_MODEL
from tests.fixtures.face_restore_models import build_tiny_restoreformer
from tests.fixtures.install import install_copy
from tests.ui.mnemonics import assert_unique_mnemonics

SELFIES, STYLE, REVIEW = 0, 1, 2


@pytest.fixture(scope="module")
def restorer(tmp_path_factory):
    return build_tiny_restoreformer(tmp_path_factory.mktemp("restoreformer")).parent


@pytest.fixture
def service(start_cpu_service, store):
    return start_cpu_service(store)


@pytest.fixture
def new_workspace(qtbot, service, store):
    def make():
        from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

        ws = HeadshotsWorkspace(service, store)
        qtbot.addWidget(ws)
        ws.resize(1100, 720)
        ws.show()
        qtbot.waitExposed(ws)
        qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
        return ws

    return make


def test_the_window_names_the_model_face_detail_runs():
    assert FACE_DETAIL_MODEL == FACE_DETAIL_ID


def test_face_detail_waits_for_its_model_then_defaults_on(
    qtbot, clicks, new_workspace, store, restorer
):
    ws = new_workspace()
    clicks.tab(ws.tabs, STYLE)
    face = ws.style_step.face_detail
    assert not face.switch.isEnabled() and not face.switch.isChecked()
    assert not face.slider.isEnabled() and face.hint.isVisible()
    assert "Tools > Models" in face.hint.text()
    assert "studio models download restoreformer" in face.hint.text()

    # downloaded meanwhile: the step picks it up when shown again, on at a moderate strength
    install_copy(store, FACE_DETAIL_MODEL, restorer)
    clicks.tab(ws.tabs, SELFIES)
    clicks.tab(ws.tabs, STYLE)
    assert face.switch.isEnabled() and face.switch.isChecked() and not face.hint.isVisible()
    assert face.slider.isEnabled() and face.value.text() == "0.50"
    assert face.strength() == 0.5

    # a new window with the model installed starts with it on
    again = new_workspace()
    assert again.style_step.face_detail.switch.isChecked()
    assert again.style_step.face_detail.strength() == 0.5


def test_format_face_detail_and_a_fixed_seed_reach_the_pack_job(
    qtbot, clicks, service, new_workspace, store, restorer, tmp_path, photos
):
    install_copy(store, FACE_DETAIL_MODEL, restorer)
    ws = new_workspace()
    me = tmp_path / "me.jpg"
    Image.fromarray(photos["astronaut"]).save(me)
    clicks.button(ws.selfie_step.add_button)
    with qtbot.waitSignal(service.job_finished, timeout=60000):
        clicks.answer_file_dialog(ws.selfie_step, me)

    clicks.tab(ws.tabs, STYLE)
    step = ws.style_step
    assert step.format.aspect() == "1:1" and step.format.pixels.text() == "1024 × 1024 px"
    clicks.button(step.format.buttons["2:3"])
    assert step.format.aspect() == "2:3" and step.format.pixels.text() == "832 × 1248 px"

    # face detail: off and on again keeps the strength; the arrow keys move it by 0.05
    face = step.face_detail
    clicks.button(face.switch)
    assert not face.switch.isChecked() and face.strength() == 0.0
    assert not face.slider.isEnabled()
    clicks.button(face.switch)
    face.slider.setFocus()
    qtbot.keyClick(face.slider, Qt.Key.Key_Right)
    qtbot.keyClick(face.slider, Qt.Key.Key_PageUp)
    assert face.value.text() == "0.65"

    # More options: hidden until opened; a fixed seed typed in
    more = step.more
    assert not more.panel.isVisible() and not step.image_size.isVisible()
    clicks.button(more.toggle)
    assert more.panel.isVisible() and step.image_size.isVisible()
    assert not more.seed.isEnabled()
    clicks.button(more.fixed_seed)
    assert more.seed.isEnabled()
    clicks.type_into(more.seed, "31337")
    clicks.type_into(step.image_size, "768")
    assert step.format.pixels.text() == "576 × 864 px"  # the format follows the size
    # every button and labelled field on the page has its own Alt letter, none of the menus'
    letters = assert_unique_mnemonics(ws, skip=("",))
    assert {"1", "4", "2", "d", "o", "u", "x"} <= set(letters)
    assert not set(letters) & set("ftvhe")  # File, Tools, View, Help, Edit

    clicks.tab(ws.tabs, REVIEW)
    queued = []  # the request as submitted (a finished job lets go of its request)
    service.job_queued.connect(lambda job: queued.append(job.request))
    with qtbot.waitSignal(service.job_failed, timeout=60000) as failed:
        clicks.button(ws.generate_button)
        # the streamed drafts' tiles take the format at once
        assert ws.gallery.iconSize() == QSize(107, 160)
    message = failed.args[1]
    [request] = queued
    assert (request.aspect, request.face_detail, request.seed) == ("2:3", 0.65, 31337)
    assert (request.size, request.count, request.refine_top_k) == (768, 40, 10)
    assert request.upscale is True
    # what is missing, named (face detail's model is installed: not among them)
    assert "not installed" in message and "RealVisXL" in message
    assert "RestoreFormer" not in message
    assert ws.note.text() == message and ws.generate_button.isEnabled()
