"""Live's ``apply_settings``: a saved frame's gallery entry puts its prompt, negative prompt,
model, seed, strength, steps, guidance and the rest back into the controls (and so into the
next frame); settings Live cannot use are refused, changing nothing."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from studio.pipelines.live.session import LiveSettings  # noqa: E402
from studio.ui.workspaces.live.workspace import LiveWorkspace  # noqa: E402


@pytest.fixture
def workspace(qtbot, live_store, start_cpu_service):
    ws = LiveWorkspace(start_cpu_service(live_store), live_store)
    qtbot.addWidget(ws)
    return ws


def gallery_settings(tmp_path, live_store):
    """The settings of a frame saved from Live, as the gallery keeps them."""
    from PIL import Image

    from studio.core.gallery import Gallery
    from studio.ui.workspaces.live.frozen import FrozenFrame, record_frame

    frozen = FrozenFrame(None)
    settings = LiveSettings(
        prompt="a watercolour fox",
        negative_prompt="blurry",
        model_id="sd-v1-5",
        vae_id=None,
        seed=1234,
        strength=0.7,
        lcm_steps=3,
        guidance=2.5,
        width=384,
        height=384,
        prompt_b="a red dog",
        travel=0.25,
        seed_lock=False,
        filter_enabled=False,
        similarity_threshold=0.95,
        max_skip=4,
        optimise="eager",
    )
    frozen.freeze(Image.new("RGB", (8, 8)), settings)
    path = tmp_path / "frame.png"
    Image.new("RGB", (8, 8)).save(path)
    record_frame(path, frozen.settings, live_store)
    with Gallery() as gallery:
        (entry,) = gallery.entries("live")
    return dict(entry.settings)


def test_a_gallery_frame_comes_back_into_every_control(workspace, tmp_path, live_store):
    ws = workspace
    settings = gallery_settings(tmp_path, live_store)
    assert ws.apply_settings(settings) is True
    panel, more = ws.panel, ws.panel.more
    assert panel.prompt.text() == "a watercolour fox" and panel.seed.value() == 1234
    assert panel.strength.value() == 70 and panel.frame_size.currentData() == 384
    assert panel.model.currentData() == "sd-v1-5" and panel.vae.currentData() is None
    assert panel.speed.currentData() == "eager"
    assert more.steps.value() == 3 and more.guidance.value() == 2.5
    assert more.negative.text() == "blurry" and more.negative.isEnabled()
    assert more.prompt_b.text() == "a red dog" and more.travel.value() == 25
    assert not more.seed_lock.isChecked() and not more.skip_similar.isChecked()
    assert more.threshold.value() == pytest.approx(0.95) and more.max_skip.value() == 4
    now = ws.controls.get()  # what the next frame will be made with
    expected = LiveSettings(**{k: v for k, v in settings.items() if k in now.__dataclass_fields__})
    for name in ("prompt", "negative_prompt", "model_id", "seed", "strength", "lcm_steps"):
        assert getattr(now, name) == getattr(expected, name), name
    assert (now.guidance, now.travel, now.width, now.seed_lock) == (2.5, 0.25, 384, False)
    # SD 1.5 is not installed in this store: the model list says how to get it
    assert "studio models download sd-v1-5" in panel.model_picker.note.text()


@pytest.mark.parametrize(
    "settings",
    [
        {"workspace": "canvas", "prompt": "a fox", "seed": 1},
        {"workspace": "live", "prompt": "a fox", "model_id": "realvisxl-v4-lightning"},
        {"workspace": "live"},
        {"prompt": "a fox", "strength": 3},
        {"prompt": "a nude fox"},
    ],
    ids=["other-workspace", "not-a-live-model", "nothing-known", "bad-strength", "refused"],
)
def test_settings_live_cannot_use_are_refused_and_change_nothing(workspace, settings):
    ws = workspace
    before = ws.controls.get()
    ws.panel.prompt.setText("kept")
    assert ws.apply_settings(settings) is False
    assert ws.panel.prompt.text() == "kept" and ws.controls.get().model_id == before.model_id


def test_use_these_settings_again_in_the_window_shows_live_with_them(qtbot, tmp_path, live_store):
    """The gallery's button in the real window: the Live page comes forward with the saved
    frame's prompt and seed, and the window says the settings were applied."""
    from studio.core.settings import Settings
    from studio.services.inference import InferenceService
    from studio.ui.shell.main_window import MainWindow
    from tests.ui.clicking import click

    settings = gallery_settings(tmp_path, live_store)
    gpu = InferenceService(live_store, device="cpu", runners={})
    downloads = InferenceService(live_store, device="none", runners={}, name="downloads")
    window = MainWindow(Settings(welcomed=True), live_store, gpu, downloads)
    qtbot.addWidget(window)
    window.show()
    dialog = window.open_gallery()
    dialog.show_workspace("live")
    qtbot.waitUntil(lambda: dialog.selected() is not None, timeout=10000)
    with qtbot.waitSignal(window.settings_reused) as reused:
        click(qtbot, dialog.reuse_button)
    live = window.workspaces["live"]
    assert reused.args[0] == "live" and window.current_workspace() is live
    assert live.panel.prompt.text() == "a watercolour fox" and live.panel.seed.value() == 1234
    assert live.controls.get().negative_prompt == settings["negative_prompt"] == "blurry"
    dialog.close()
    window.close()
