"""Every workspace opens user images through core.imageio: gigantic (decompression-bomb)
headers and non-images are refused with a message before any pixel is decoded."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from studio.core.errors import BadInput


def _bomb(path, w: int = 60000, h: int = 60000):
    """A tiny PNG whose header claims ``w x h`` pixels (10 GB as RGB if decoded)."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = bytearray(data[12:29])
    ihdr[4:12] = struct.pack(">II", w, h)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    path.write_bytes(bytes(data))
    return path


def test_lipsync_avatar_photo(tmp_path, run_context):
    from studio.pipelines.lipsync.avatar import PrepareAvatarRequest, prepare_avatar

    request = PrepareAvatarRequest(_bomb(tmp_path / "face.png"), cache_dir=tmp_path / "c")
    with pytest.raises(BadInput, match="too large"):
        prepare_avatar(request, run_context)
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(BadInput, match="notes.png"):
        prepare_avatar(PrepareAvatarRequest(tmp_path / "notes.png"), run_context)


def test_live_input_image(tmp_path):
    from studio.pipelines.live.frames import to_rgb_array

    with pytest.raises(BadInput, match="too large"):
        to_rgb_array(_bomb(tmp_path / "in.png"))
    Image.new("RGB", (20, 10), "blue").save(tmp_path / "ok.jpg")
    assert to_rgb_array(tmp_path / "ok.jpg").shape == (10, 20, 3)


def test_headshots_selfie(tmp_path):
    from studio.pipelines.headshots.quality import load_image

    with pytest.raises(BadInput, match="too large"):
        load_image(_bomb(tmp_path / "selfie.png"))


@pytest.mark.parametrize(
    "argv",
    [
        ["headshots", "--selfie", "{bomb}", "-o", "{out}"],
        ["live", "--prompt", "a", "--image", "{bomb}", "-o", "{out}.png"],
        ["canvas", "cutout", "--image", "{bomb}", "-o", "{out}.png"],
        ["lipsync", "--avatar", "{bomb}", "--audio", "{wav}", "-o", "{out}.mp4"],
    ],
    ids=["headshots", "live", "canvas", "lipsync"],
)
def test_cli_refuses_a_bomb_without_traceback(argv, tmp_path, capsys, monkeypatch):
    from studio.cli import main
    from studio.pipelines.lipsync.audio import write_wav

    monkeypatch.setenv("STUDIO_MODELS_DIR", str(tmp_path / "store"))
    wav = write_wav(tmp_path / "s.wav", 0.3 * np.sin(np.arange(16000) / 8.0), 16000)
    names = {"bomb": _bomb(tmp_path / "bomb.png"), "out": tmp_path / "out", "wav": wav}
    code = main([a.format(**names) for a in argv])
    text = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in text
    # lipsync checks the (installed) models before the avatar; the others the image first
    assert "too large" in text or "not installed" in text
