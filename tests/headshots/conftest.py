"""Tiny headshot models, built once per session and installed into each test's store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.install import install_copy


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Tiny models gain nothing from threads; on a shared 2-core machine they thrash."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def built_models(tmp_path_factory) -> dict[str, Path]:
    from tests.fixtures.canvas_models import build_tiny_rrdbnet
    from tests.fixtures.diffusion import build_tiny_sdxl, build_tiny_taesd
    from tests.fixtures.face_models import build_tiny_antelopev2, build_tiny_instantid

    root = tmp_path_factory.mktemp("headshot_models")
    out = {
        name: root / name
        for name in (
            "realvisxl-v4-lightning",
            "instantid",
            "antelopev2",
            "taesdxl",
            "realesrgan-x4plus",
        )
    }
    build_tiny_sdxl(out["realvisxl-v4-lightning"])
    build_tiny_instantid(out["instantid"], out["realvisxl-v4-lightning"])
    build_tiny_antelopev2(out["antelopev2"])
    build_tiny_taesd(out["taesdxl"], xl=True)
    build_tiny_rrdbnet(out["realesrgan-x4plus"])
    return out


@pytest.fixture
def hs_store(store, built_models):
    """The test store with every headshot model installed (tiny, real layouts)."""
    for model_id, folder in built_models.items():
        install_copy(store, model_id, folder)
    return store


@pytest.fixture
def hs_context(run_context, hs_store):
    return run_context


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """Real face photos available offline (RGB)."""
    import os

    import cv2
    import insightface
    from skimage import data

    folder = Path(os.path.dirname(insightface.__file__)) / "data" / "images"
    return {
        "astronaut": data.astronaut(),
        "group": cv2.imread(str(folder / "t1.jpg"))[:, :, ::-1].copy(),
        "hanks": cv2.imread(str(folder / "Tom_Hanks_54745.png"))[:, :, ::-1].copy(),
        "coffee": data.coffee(),
    }


@pytest.fixture
def selfie_file(tmp_path, photos) -> Path:
    from PIL import Image

    path = tmp_path / "selfie.jpg"
    Image.fromarray(photos["astronaut"]).save(path, quality=95)
    return path


# ---- UI fixtures: drive the Headshots workspace through its real widgets -------------------


class Clicks:
    """Mouse and keyboard on real widgets, as a user would: tabs, buttons, list items, the
    file dialogs the workspace opens (answered by typing into their file name field)."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot

    def button(self, widget) -> None:
        from PySide6.QtCore import QPoint, Qt

        assert widget.isVisible() and widget.isEnabled(), widget.text()
        # on its label: a check box stretched by a layout only reacts there
        x = min(widget.width(), widget.sizeHint().width()) // 2
        self.qtbot.mouseClick(
            widget, Qt.MouseButton.LeftButton, pos=QPoint(x, widget.height() // 2)
        )

    def tab(self, tabs, index: int) -> None:
        from PySide6.QtCore import Qt

        bar = tabs.tabBar()
        self.qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
        assert tabs.currentIndex() == index

    def item(self, view, item, ctrl: bool = False) -> None:
        from PySide6.QtCore import Qt

        assert not item.isHidden(), item.text()
        view.scrollToItem(item)
        modifier = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier(0)
        # as a user waits to see it: a relayout may be pending (new thumbnails)
        self.qtbot.waitUntil(lambda: view.visualItemRect(item).isValid(), timeout=5000)
        rect = view.visualItemRect(item)
        self.qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())

    def type_into(self, widget, text: str) -> None:
        """Replace the text of a line edit or spin box by typing (select all, then type)."""
        from PySide6.QtCore import Qt

        self.qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.qtbot.keyClick(widget, Qt.Key.Key_Delete)
        self.qtbot.keyClicks(widget, text)

    def answer_file_dialog(self, parent, *paths: Path) -> None:
        """Wait for the file dialog ``parent`` opened, type the paths and press Enter."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QFileDialog, QLineEdit

        def dialog():
            shown = [d for d in parent.findChildren(QFileDialog) if d.isVisible()]
            return shown[0] if shown else None

        self.qtbot.waitUntil(lambda: dialog() is not None, timeout=5000)
        box = dialog()
        name = box.findChild(QLineEdit, "fileNameEdit")
        # where a user types: with focus there, the dialog leaves the typed text alone
        box.activateWindow()
        name.setFocus()
        self.qtbot.waitUntil(name.hasFocus, timeout=5000)
        text = " ".join(f'"{p}"' for p in paths) if len(paths) > 1 else str(paths[0])
        self.type_into(name, text)
        self.qtbot.keyClick(name, Qt.Key.Key_Return)
        self.qtbot.waitUntil(lambda: not box.isVisible(), timeout=5000)

    def choose_in_combo(self, combo, row: int) -> None:
        """Step the (closed) combo box to ``row`` with the arrow keys (each step activates)."""
        from PySide6.QtCore import Qt

        assert combo.isEnabled()
        while combo.currentIndex() != row:
            key = Qt.Key.Key_Down if combo.currentIndex() < row else Qt.Key.Key_Up
            self.qtbot.keyClick(combo, key)


@pytest.fixture
def clicks(qtbot) -> Clicks:
    return Clicks(qtbot)


@pytest.fixture
def make_pack(tmp_path):
    """A saved pack (the format the pipeline writes) with given flags and identity scores,
    drafts of solid colours; ``make_pack(root, [(flags, score), ...])`` -> Pack."""
    from studio.pipelines.headshots import packs

    def make(root: Path, images: list[tuple[list[str], float]], style: str = "studio-white"):
        folder = root / f"pack-{style}-{len(list(root.glob('*')))}"
        pack = packs.Pack(
            folder=folder,
            style=style,
            prompt="a professional headshot",
            negative_prompt="blurry",
            settings={"count": len(images), "size": 64, "steps": 2},
            models={"base": "realvisxl-v4-lightning", "identity": "instantid"},
            selfies=[],
            complete=True,
        )
        for i, (flags, id_score) in enumerate(images):
            pixels = np.zeros((64, 64, 3), np.uint8)
            pixels[:] = ((40 + 50 * i) % 256, 90, (200 - 40 * i) % 256)
            draft = f"drafts/{i:03d}.jpg"
            packs.write_image(pixels, folder / draft)
            pack.images.append(
                packs.PackImage(
                    index=i,
                    seed=1000 + i,
                    draft=draft,
                    latent=f"latents/{i:03d}.npy",
                    id_score=id_score,
                    sharpness=500.0,
                    face_found="no-face" not in flags,
                    flags=list(flags),
                )
            )
        pack.save()
        return pack

    return make


def small_pack(selfie, folder, **kw):
    """A two-draft, one-refined 128 px pack request of two-step sampling (no upscale): the
    face steps' tests change only what they test through ``kw``."""
    from studio.pipelines.headshots.pack import PackRequest

    base = dict(
        selfies=[selfie],
        count=2,
        size=128,
        batch_size=2,
        refine_top_k=1,
        upscale=False,
        overrides={"steps": 2, "refine_steps": 2, "refine_strength": 0.5},
        folder=folder,
        seed=11,
    )
    base.update(kw)
    return PackRequest(**base)
