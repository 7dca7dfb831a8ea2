"""Headshots settings used again, in the real main window: a pack recorded in the gallery comes
back into the Style step through File > Gallery's "Use These Settings Again" (style, extra
prompt text, count, refine best, size, format, upscale, a fixed seed, face detail), settings
it cannot use change nothing and say so, and an exported portrait dropped on the window
brings back its pack's settings. The style page still fits 1366x768 with More options open."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from studio.core import paths
from studio.pipelines.headshots import packs
from studio.pipelines.headshots.frames import frame_size
from studio.pipelines.headshots.styles import DEFAULTS, get_style
from studio.ui.workspaces.headshots.recording import record_pack
from tests.ui.clicking import click
from tests.ui.fit_check import layout_problems
from tests.ui.shell.harness import window  # noqa: F401 - the fixture
from tests.ui.shell.test_gallery import _drop

STYLE = 1


def _pack(style: str = "corporate", seed: int = 4242) -> packs.Pack:
    """A saved 4:5 pack with face detail, as the pipeline writes it (settings and all)."""
    folder = paths.headshot_packs_dir() / f"pack-{style}-{seed}"
    width, height = frame_size(768, "4:5")
    rendered = get_style(style).render("navy blazer") if style != "unknown" else "a headshot"
    pack = packs.Pack(
        folder=folder,
        style=style,
        prompt=rendered,
        negative_prompt="blurry",
        settings={
            **DEFAULTS,
            "size": 768,
            "aspect": "4:5",
            "width": width,
            "height": height,
            "seed": seed,
            "count": 12,
            "refine_top_k": 3,
            "upscale": False,
            "face_detail": 0.7,
        },
        models={"base": "realvisxl-v4-lightning", "identity": "instantid"},
        selfies=[],
        complete=True,
    )
    pixels = np.full((80, 64, 3), (30, 140, 200), np.uint8)
    packs.write_image(pixels, folder / "drafts/000.jpg")
    pack.images.append(
        packs.PackImage(index=0, seed=seed + 7, draft="drafts/000.jpg", latent="l/0.npy")
    )
    pack.save()
    return pack


def _open_gallery(qtbot, window):  # noqa: F811 - the fixture's name, passed on
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_G, keys)
    qtbot.waitUntil(lambda: getattr(window, "gallery_dialog", None) is not None)
    dialog = window.gallery_dialog
    tabs = dialog.tabs
    row = [tabs.tabText(i).replace("&", "") for i in range(tabs.count())].index("Headshots")
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(row).center())
    assert dialog.workspace() == "headshots"
    return dialog


def test_use_these_settings_again_fills_the_style_step(qtbot, window):  # noqa: F811
    window.resize(1366, 768)
    ws = window.workspaces["headshots"]
    step = ws.style_step
    record_pack(_pack(), window.store)
    dialog = _open_gallery(qtbot, window)
    assert dialog.list.count() == 1 and dialog.reuse_button.isEnabled()

    with qtbot.waitSignal(window.settings_reused, timeout=10000) as reused:
        click(qtbot, dialog.reuse_button)
    assert reused.args[0] == "headshots"
    assert window.current_workspace() is ws and ws.tabs.currentIndex() == STYLE
    assert step.style_box.currentData() == "corporate"
    assert step.style_list.currentRow() == step.style_box.currentIndex()
    assert step.prompt.text() == "navy blazer"  # the extra text, out of the rendered prompt
    assert (step.count.value(), step.top_k.value(), step.image_size.value()) == (12, 3, 768)
    assert step.format.aspect() == "4:5" and step.format.buttons["4:5"].isChecked()
    width, height = frame_size(768, "4:5")
    assert step.format.pixels.text() == f"{width} × {height} px"
    assert not step.upscale.isChecked()
    # the pack's seed, fixed, shown under More options (opened to show it)
    assert step.more.panel.isVisible() and step.more.fixed_seed.isChecked()
    assert step.more.seed.value() == 4242 and step.more.seed.isEnabled()
    # face detail's strength is kept; without its model the switch stays off, with the hint
    assert step.face_detail.slider.value() == 70
    assert not step.face_detail.switch.isChecked() and step.face_detail.hint.isVisible()
    # everything fits, More options open and the install hint shown
    click(qtbot, dialog.close_button)
    assert layout_problems(window) == []
    assert step.height() >= step.minimumSizeHint().height()

    # Settings it cannot use (a style this installation lacks): nothing changes, a box says so
    record_pack(_pack(style="unknown", seed=99), window.store)
    dialog = _open_gallery(qtbot, window)
    assert dialog.list.count() == 2
    newest = dialog.list.item(0)
    rect = dialog.list.visualItemRect(newest)
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    click(qtbot, dialog.reuse_button)
    qtbot.waitUntil(lambda: getattr(window, "reuse_box", None) is not None)
    box = window.reuse_box
    qtbot.waitUntil(box.isVisible)
    assert box.text() == "Headshots could not use these settings."
    assert step.style_box.currentData() == "corporate" and step.more.seed.value() == 4242
    assert step.prompt.text() == "navy blazer" and step.count.value() == 12
    qtbot.mouseClick(box.button(box.StandardButton.Ok), Qt.MouseButton.LeftButton)
    click(qtbot, dialog.close_button)


def test_a_dropped_portrait_brings_back_its_pack_settings(qtbot, window, tmp_path):  # noqa: F811
    pack = _pack(style="studio-white", seed=777)
    [exported] = packs.export_images(pack, [0], tmp_path / "out")
    ws = window.workspaces["headshots"]
    assert _drop(window, exported)
    qtbot.waitUntil(lambda: window.drops.box is not None, timeout=10000)
    assert "was made in Headshots" in window.drops.box.text()
    with qtbot.waitSignal(window.settings_reused, timeout=10000):
        qtbot.mouseClick(window.drops.reuse_button, Qt.MouseButton.LeftButton)
    step = ws.style_step
    assert window.current_workspace() is ws and ws.tabs.currentIndex() == STYLE
    assert step.style_box.currentData() == "studio-white" and step.prompt.text() == "navy blazer"
    # the pack's seed (777), not the exported image's own (784): it draws the pack again
    assert step.more.fixed_seed.isChecked() and step.more.seed.value() == 777
    assert step.format.aspect() == "4:5" and step.count.value() == 12


@pytest.mark.parametrize(
    "settings",
    [
        {"workspace": "canvas", "prompt": "a red car", "seed": 7},
        {"workspace": "headshots", "style": "corporate", "count": 0},
        {"workspace": "headshots", "style": "corporate", "aspect": "16:9"},
        {"workspace": "headshots", "size": 100},
        {"workspace": "headshots", "face_detail": 1.5},
        {"workspace": "headshots", "seed": -1},
        {"workspace": "headshots", "generator": "Studio headshots"},  # nothing it can use
    ],
)
def test_settings_it_cannot_use_change_nothing(qtbot, store, settings):
    from studio.ui.workspaces.headshots.reuse import apply_settings
    from studio.ui.workspaces.headshots.style_step import StyleStep

    step = StyleStep(store.catalogue, store=store)
    qtbot.addWidget(step)
    before = (step.style_box.currentIndex(), step.count.value(), step.format.aspect())
    assert apply_settings(step, settings) is False
    assert (step.style_box.currentIndex(), step.count.value(), step.format.aspect()) == before
    assert not step.more.fixed_seed.isChecked()


def test_a_custom_prompt_and_a_changed_style_template(qtbot, store):
    from studio.ui.workspaces.headshots.reuse import apply_settings
    from studio.ui.workspaces.headshots.style_step import StyleStep

    step = StyleStep(store.catalogue, store=store)
    qtbot.addWidget(step)
    custom = {"workspace": "headshots", "style": "custom", "prompt": "a portrait in a library"}
    assert apply_settings(step, custom)
    assert step.style_box.currentData() == "custom"
    assert step.prompt.text() == "a portrait in a library"
    # a prompt the style no longer renders (its file was edited since): the style, no text
    edited = {"workspace": "headshots", "style": "corporate", "prompt": "something else"}
    assert apply_settings(step, edited)
    assert step.style_box.currentData() == "corporate" and step.prompt.text() == ""
    # no extra text: the style's own prompt
    plain = {"workspace": "headshots", "style": "corporate"}
    plain["prompt"] = get_style("corporate").render("")
    step.prompt.setText("left over")
    assert apply_settings(step, plain) and step.prompt.text() == ""
