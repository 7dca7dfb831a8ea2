"""A real CanvasWorkspace over a real CPU InferenceService and tiny models in a temp store."""

from __future__ import annotations

import numpy as np
import pytest

from studio.ui.canvas.workspace import CanvasWorkspace
from tests.canvas.conftest import built, install, photo, sdxl, sdxl_folders  # noqa: F401


@pytest.fixture
def service(start_cpu_service, store):
    return start_cpu_service(store)  # the default runners: the real canvas JOBS


@pytest.fixture
def workspace(qtbot, service, store):
    ws = CanvasWorkspace(service, store)
    qtbot.addWidget(ws)
    ws.resize(1200, 800)
    ws.show()
    qtbot.waitExposed(ws)
    yield ws
    ws.doc.stack.setClean()  # no question box at teardown


@pytest.fixture
def photo_file(tmp_path, photo):  # noqa: F811
    from PIL import Image

    path = tmp_path / "astronaut.png"
    Image.fromarray(photo).save(path)
    return path


def square_mask(shape, y0=30, y1=60, x0=40, x1=80):
    mask = np.zeros(shape[:2], np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask
