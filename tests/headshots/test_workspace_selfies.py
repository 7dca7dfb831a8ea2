"""The Selfies step over a real CPU service and an EMPTY model store: a selfie's problems
(no face, blurred, dark, too many photos) show before any model is downloaded, and Generate
then names the missing models instead of failing on the selfies."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

SELFIES, REVIEW = 0, 2


@pytest.fixture
def service(start_cpu_service, store):
    return start_cpu_service(store)


@pytest.fixture
def workspace(qtbot, service, store):
    from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

    ws = HeadshotsWorkspace(service, store)
    qtbot.addWidget(ws)
    ws.resize(1000, 720)
    ws.show()
    qtbot.waitExposed(ws)
    qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
    return ws


def _photos(folder, photos):
    rgb = photos["astronaut"]
    files = {
        "coffee.jpg": photos["coffee"],  # no face
        "blurred.jpg": cv2.GaussianBlur(rgb, (0, 0), 2.0),
        "dark.jpg": (rgb.astype(np.float32) * 0.25).astype(np.uint8),
        "me.jpg": rgb,
    }
    for name, pixels in files.items():
        Image.fromarray(pixels).save(folder / name, quality=95)
    return {name: folder / name for name in files}


def _add(qtbot, clicks, ws, service, *paths):
    clicks.button(ws.selfie_step.add_button)
    with qtbot.waitSignal(service.job_finished, timeout=60000):
        clicks.answer_file_dialog(ws.selfie_step, *paths)
        assert "Checking" in ws.selfie_step.status.text()


def test_selfie_problems_show_without_models(
    qtbot, clicks, workspace, service, store, tmp_path, photos
):
    ws, step = workspace, workspace.selfie_step
    assert store.installed() == []
    files = _photos(tmp_path, photos)

    _add(qtbot, clicks, ws, service, files["coffee.jpg"], files["blurred.jpg"], files["dark.jpg"])
    texts = [step.list.item(i).text() for i in range(step.list.count())]
    assert (
        texts[0]
        == "✗ coffee.jpg\nNo face found in coffee.jpg. Use a photo with your face clearly visible."
    )
    assert texts[1].startswith("✗ blurred.jpg\nblurred.jpg is blurred (sharpness ")
    assert texts[2] == "✗ dark.jpg\ndark.jpg is too dark. Use a photo taken in better light."
    status = step.status.text()
    assert "No face found in coffee.jpg" in status and "blurred.jpg is blurred" in status
    assert "dark.jpg is too dark" in status and status.endswith("0 of 3 selfie(s) ready.")

    # Generate with no accepted selfie: back to the Selfies step, saying why
    clicks.tab(ws.tabs, REVIEW)
    clicks.button(ws.generate_button)
    assert ws.tabs.currentIndex() == SELFIES
    assert step.status.text() == "Add at least one accepted selfie first."

    # a fourth photo is one too many: the first three are kept, and the step says so
    clicks.button(step.add_button)
    clicks.answer_file_dialog(step, files["me.jpg"])
    assert step.status.text() == "Checking 3 photo(s)… Only the first 3 photos are used."
    qtbot.waitUntil(lambda: "ready" in step.status.text(), timeout=60000)
    assert step.list.count() == 3

    clicks.button(step.clear_button)
    assert step.list.count() == 0 and ws.selfies == [] and not step.clear_button.isEnabled()
    assert step.status.text().startswith("Add 1-3 clear, well-lit photos")


def test_generate_without_models_names_them(qtbot, clicks, workspace, service, tmp_path, photos):
    ws = workspace
    files = _photos(tmp_path, photos)
    _add(qtbot, clicks, ws, service, files["me.jpg"])
    item = ws.selfie_step.list.item(0)
    assert item.text() == "✓ me.jpg" and not item.icon().isNull()
    assert ws.selfie_step.status.text() == "1 of 1 selfie(s) ready."

    clicks.tab(ws.tabs, REVIEW)
    with qtbot.waitSignal(service.job_failed, timeout=60000):
        clicks.button(ws.generate_button)
        assert not ws.generate_button.isEnabled() and ws.cancel_button.isEnabled()
    note = ws.note.text()
    assert "InstantID" in note and "antelopev2" in note, note
    assert ws.generate_button.isEnabled() and not ws.cancel_button.isEnabled()
    assert ws.gallery.count() == 0 and not ws.reroll_button.isEnabled()
