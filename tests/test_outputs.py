"""core/outputs: output paths checked before work; writes atomic; used by the image writers."""

from __future__ import annotations

import errno

import numpy as np
import pytest
from PIL import Image

from studio.core.errors import BadInput
from studio.core.export import export_image
from studio.core.imageio import save_image
from studio.core.outputs import atomic_path, check_output, check_output_folder


@pytest.fixture
def place(tmp_path):
    (tmp_path / "regular").write_text("keep")
    (tmp_path / "dir").mkdir()
    (tmp_path / "in.png").write_bytes(b"input")
    return tmp_path


def test_a_writable_path_passes(place):
    assert check_output(place / "out.png", extensions=(".png",)) == place / "out.png"
    assert check_output(place / "new" / "out.mp4", create_parent=True) == place / "new/out.mp4"


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("dir", "is a folder"),
        ("regular/x.png", "is a file, not a folder"),
        ("regular/deeper/x.png", "is a file, not a folder"),
        ("missing/x.png", "does not exist"),
        ("out.gif", "wrong extension"),
        ("in.png", "input"),
        ("dir/../in.png", "input"),
    ],
)
def test_unwritable_or_forbidden_outputs(place, name, match):
    with pytest.raises(BadInput, match=match):
        check_output(place / name, inputs=[place / "in.png"], extensions=(".png",))


def test_a_link_to_an_input_is_the_input(place):
    (place / "link.png").symlink_to(place / "in.png")
    with pytest.raises(BadInput, match="input"):
        check_output(place / "link.png", inputs=[place / "in.png", None])


def test_output_folders(place):
    assert check_output_folder(place / "new" / "pack") == place / "new" / "pack"
    for bad in ("regular", "regular/sub"):
        with pytest.raises(BadInput, match="file"):
            check_output_folder(place / bad)


def test_atomic_path_keeps_the_old_file_on_failure(place):
    target = place / "regular"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("the writer failed")
    assert target.read_text() == "keep"
    assert sorted(p.name for p in place.iterdir()) == ["dir", "in.png", "regular"]


def test_a_full_disk_is_named(place):
    target = place / "regular"
    with pytest.raises(BadInput, match="disk is full"), atomic_path(target):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "keep"
    assert sorted(p.name for p in place.iterdir()) == ["dir", "in.png", "regular"]


def test_atomic_path_replaces_on_success_with_a_normal_mode(place):
    with atomic_path(place / "new.txt") as tmp:
        tmp.write_text("done")
    assert (place / "new.txt").read_text() == "done"
    assert (place / "new.txt").stat().st_mode & 0o777 == 0o644


def test_a_failed_image_save_leaves_the_existing_file(place):
    target = place / "photo.png"
    Image.new("RGB", (4, 4), "red").save(target)
    before = target.read_bytes()
    with pytest.raises(BadInput, match="photo.png"):  # PIL cannot write a float PNG
        save_image(Image.new("F", (4, 4)), target)
    assert target.read_bytes() == before
    assert [p.name for p in place.iterdir() if p.name.startswith(".photo")] == []


@pytest.mark.parametrize("writer", [save_image, export_image])
def test_transparent_images_are_composited_for_jpeg(place, writer):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 200  # red under a fully transparent left half
    rgba[:, 4:, 3] = 255
    writer(rgba, place / "cut.jpg")
    out = np.asarray(Image.open(place / "cut.jpg").convert("RGB")).astype(int)
    assert (abs(out[:, :3] - 255) < 8).all()  # white, not the red hidden under alpha 0
    assert (abs(out[:, 5:] - [200, 0, 0]) < 12).all()
