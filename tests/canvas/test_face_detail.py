"""Face detail on tiny models through the real loaders: the tiny SCRFD pack finds one face at
the image centre; a tiny RestoreFormer (published layout) restores it."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.canvas import JOBS
from studio.pipelines.canvas.face_detail import (
    NO_FACE,
    RESTOREFORMER_ID,
    FaceDetailRequest,
)
from studio.pipelines.canvas.face_detail import run as face_detail
from tests.fixtures.face_models import build_tiny_antelopev2
from tests.fixtures.face_restore_models import build_tiny_restoreformer
from tests.fixtures.install import install_copy


@pytest.fixture(scope="module")
def face_folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("face_detail_models")
    build_tiny_antelopev2(root / "antelopev2")
    build_tiny_restoreformer(root / RESTOREFORMER_ID)
    return root


@pytest.fixture
def face_models(store, face_folders):
    for model_id in ("antelopev2", RESTOREFORMER_ID):
        install_copy(store, model_id, face_folders / model_id)
    return store


@pytest.fixture
def portrait():
    """A real photo (scikit-image's astronaut, a face near the middle), 192 px square."""
    from PIL import Image
    from skimage import data

    return np.asarray(Image.fromarray(data.astronaut()).resize((192, 192)))


def test_registered_as_a_canvas_job():
    assert JOBS["canvas.face_detail"].resolve() is face_detail


def test_only_the_face_region_changes(run_context, face_models, portrait):
    result = face_detail(FaceDetailRequest(image=portrait, strength=0.8), run_context)
    out = result.image
    assert out.shape == portrait.shape and out.dtype == np.uint8
    assert result.message is None and len(result.boxes) == 1
    x0, y0, x1, y1 = result.boxes[0]
    assert 0 <= x0 < x1 <= 192 and 0 <= y0 < y1 <= 192
    changed = np.any(out != portrait, axis=2)
    assert changed[y0:y1, x0:x1].mean() > 0.5  # the random restorer rewrites the face
    # Beyond the aligned crop's reach (about 0.3 box sides out) pixels are bit-identical.
    side = (max(x1 - x0, y1 - y0) * 35) // 100
    far = np.ones(changed.shape, bool)
    far[max(0, y0 - side) : y1 + side, max(0, x0 - side) : x1 + side] = False
    assert far.any() and not changed[far].any()
    assert ("Face detail", 1, 1) in run_context.reports


def test_strength_zero_and_no_face_leave_the_image_unchanged(run_context, face_models, portrait):
    zero = face_detail(FaceDetailRequest(image=portrait, strength=0.0), run_context)
    assert np.array_equal(zero.image, portrait) and len(zero.boxes) == 1
    # Faces below min_face_px are not faces to restore: nothing found, a message, no error.
    none = face_detail(FaceDetailRequest(image=portrait, min_face_px=4000), run_context)
    assert np.array_equal(none.image, portrait)
    assert none.message == NO_FACE and none.boxes == []


def test_bad_strength_is_refused(run_context, portrait):
    with pytest.raises(BadInput, match="strength must be 0 to 1"):
        face_detail(FaceDetailRequest(image=portrait, strength=1.5), run_context)


def test_a_damaged_model_file_gives_a_clear_error(
    run_context, store, face_folders, tmp_path, portrait
):
    import shutil

    install_copy(store, "antelopev2", face_folders / "antelopev2")
    broken = tmp_path / "broken"
    shutil.copytree(face_folders / RESTOREFORMER_ID, broken)
    (broken / "RestoreFormer.pth").write_bytes(b"not a checkpoint")
    install_copy(store, RESTOREFORMER_ID, broken)
    with pytest.raises(BadInput, match="could not be read"):
        face_detail(FaceDetailRequest(image=portrait), run_context)


def test_a_model_of_another_architecture_is_refused(
    run_context, store, face_folders, tmp_path, portrait
):
    from tests.fixtures.canvas_models import build_tiny_rrdbnet

    install_copy(store, "antelopev2", face_folders / "antelopev2")
    wrong = tmp_path / "wrong"
    build_tiny_rrdbnet(wrong, "RestoreFormer.pth")
    install_copy(store, RESTOREFORMER_ID, wrong)
    with pytest.raises(BadInput, match="not RestoreFormer"):
        face_detail(FaceDetailRequest(image=portrait), run_context)


def _cli(store, monkeypatch, *argv: str) -> int:
    import argparse

    from studio.clis import canvas as cli

    monkeypatch.setenv("STUDIO_MODELS_DIR", str(store.root))
    parser = argparse.ArgumentParser(prog="studio")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["canvas", *argv, "-q"])
    return args.func(args)


def test_cli_writes_the_restored_photo(face_models, monkeypatch, tmp_path, portrait):
    from PIL import Image

    src, out = tmp_path / "photo.png", tmp_path / "out.png"
    Image.fromarray(portrait).save(src)
    assert _cli(face_models, monkeypatch, "face-detail", str(src), "-o", str(out)) == 0
    written = np.asarray(Image.open(out).convert("RGB"))
    assert written.shape == portrait.shape and not np.array_equal(written, portrait)
    assert np.array_equal(written[:4], portrait[:4])  # the top edge is far from the face


def test_cli_refuses_a_bad_strength_and_a_missing_model(store, monkeypatch, tmp_path, capsys):
    from PIL import Image

    src = tmp_path / "photo.png"
    Image.new("RGB", (64, 64)).save(src)
    with pytest.raises(SystemExit):
        _cli(store, monkeypatch, "face-detail", str(src), "-o", "x.png", "--strength", "2")
    assert _cli(store, monkeypatch, "face-detail", str(src), "-o", str(tmp_path / "o.png")) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_cancel_before_a_face_stops_without_touching_the_image(run_context, face_models, portrait):
    from studio.core.errors import Cancelled

    original = portrait.copy()
    inner = run_context.progress

    def progress(stage, done, total, preview=None):
        inner(stage, done, total, preview)
        if stage == "Face detail" and done == 0:
            run_context.cancel.cancel()  # the user presses Cancel as the faces start

    run_context.progress = progress
    with pytest.raises(Cancelled):
        face_detail(FaceDetailRequest(image=portrait), run_context)
    assert np.array_equal(portrait, original)
    assert ("Face detail", 1, 1) not in run_context.reports
