"""Headshots in the dark and the light theme: the licence note and the placeholder tiles
(a rejected selfie, the custom-prompt style, a portrait whose file cannot be read) are
readable in both; the flag badge keeps its size in logical pixels at 200 % scaling."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtGui import QColor, QPalette

from studio.core import paths
from studio.ui.widgets.theme import apply_theme
from tests.ui.test_theme import app, contrast  # noqa: F401 - `app`: the app's look put back

SELFIES, STYLE, REVIEW = 0, 1, 2
Role = QPalette.ColorRole
ORANGE = (214, 120, 0)  # the flag badge


@pytest.fixture
def open_workspace(qtbot, start_cpu_service, store):
    service = start_cpu_service(store)

    def make():
        from studio.ui.workspaces.headshots.workspace import HeadshotsWorkspace

        ws = HeadshotsWorkspace(service, store)
        qtbot.addWidget(ws)
        ws.resize(1000, 720)
        ws.show()
        qtbot.waitExposed(ws)
        qtbot.waitUntil(lambda: not ws.workers.busy, timeout=10000)
        return ws, service

    return make


def _rgb(colour: QColor) -> tuple[int, int, int]:
    return colour.red(), colour.green(), colour.blue()


def _assert_placeholder(icon, side: int, palette: QPalette) -> None:
    """A plain tile in the palette's alternate-base colour, its mark (if any) readable."""
    image = icon.pixmap(side).toImage()
    assert _rgb(image.pixelColor(2, 2)) == _rgb(palette.color(Role.AlternateBase))
    assert contrast(palette.color(Role.PlaceholderText), palette.color(Role.AlternateBase)) >= 4.5


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_licence_note_and_placeholder_tiles_follow_the_theme(
    app,  # noqa: F811 - the fixture imported above
    theme,
    qtbot,
    clicks,
    open_workspace,
    make_pack,
    tmp_path,
    photos,
):
    assert apply_theme(app, theme) == theme
    palette = app.palette()
    ws, service = open_workspace()

    # a selfie without a face: its tile is the theme's, not a light grey square
    coffee = tmp_path / "coffee.jpg"
    Image.fromarray(photos["coffee"]).save(coffee)
    clicks.button(ws.selfie_step.add_button)
    with qtbot.waitSignal(service.job_finished, timeout=60000):
        clicks.answer_file_dialog(ws.selfie_step, coffee)
    rejected = ws.selfie_step.list.item(0)
    assert rejected.text().startswith("✗ coffee.jpg")
    _assert_placeholder(rejected.icon(), 150, palette)

    # the Style step: the licence note's text on its own background, the custom-prompt tile
    clicks.tab(ws.tabs, STYLE)
    note = ws.style_step.licence_note
    assert note.isVisible() and note.autoFillBackground()
    text, background = note.palette().color(Role.WindowText), note.palette().color(Role.Window)
    assert contrast(text, background) >= 4.5, f"{theme}: licence note {text.name()}"
    assert background != palette.color(Role.Window)  # a note, set apart from the page
    custom = ws.style_step.style_list.item(ws.style_step.style_box.findData("custom"))
    _assert_placeholder(custom.icon(), 104, palette)

    # the review: a portrait whose file cannot be read keeps the blank tile, in the theme
    pack = make_pack(paths.headshot_packs_dir(), [([], 0.7), ([], 0.6)])
    pack.path(pack.image(1).draft).write_bytes(b"not an image")
    ws.refresh_past_packs()  # the pack was saved after the workspace listed them
    qtbot.waitUntil(lambda: ws.past.count() == 1, timeout=10000)
    clicks.tab(ws.tabs, REVIEW)
    clicks.choose_in_combo(ws.past, 0)
    qtbot.waitUntil(lambda: ws.pack is not None and not ws.workers.busy, timeout=10000)
    qtbot.waitUntil(lambda: not ws.gallery.workers.busy, timeout=10000)
    unreadable = [ws.gallery.item(r) for r in range(2) if ws.gallery.item(r).data(256) == 1]
    _assert_placeholder(unreadable[0].icon(), 160, palette)


@pytest.mark.parametrize("dpr", [1.0, 2.0])
def test_the_flag_badge_has_the_same_logical_size_at_any_scale(qapp, dpr):
    from studio.ui.workspaces.headshots.gallery import ICON, Gallery, _badged
    from studio.ui.workspaces.headshots.tiles import placeholder_tile

    tile = placeholder_tile(ICON, dpr=dpr)
    assert (tile.width(), tile.height()) == (round(ICON * dpr),) * 2  # sharp: device pixels
    assert tile.deviceIndependentSize().toSize().width() == ICON
    badged = _badged(tile).toImage()
    assert badged.devicePixelRatio() == dpr

    def at(x: int, y: int) -> tuple[int, int, int]:  # logical px -> the device pixel there
        return _rgb(badged.pixelColor(round(x * dpr), round(y * dpr)))

    # a disc of ICON / 5 = 32 logical px at (4, 4): inside it beside the "!", not beyond it
    assert at(12, 20) == ORANGE and at(20, 32) == ORANGE
    assert at(50, 20) != ORANGE and at(20, 50) != ORANGE
    gallery = Gallery()  # a square pack's blank tile: ICON logical px at the app's ratio
    assert gallery._blank(False).width() == round(ICON * qapp.devicePixelRatio())
    gallery.deleteLater()
