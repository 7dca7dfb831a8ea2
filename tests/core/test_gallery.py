"""The gallery index: persisted in SQLite, searchable, and settings recalled from exports."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from PIL import Image

from studio.core.errors import BadInput
from studio.core.export import export_image
from studio.core.gallery import Gallery, NoStudioSettings, read_settings, record_result

SETTINGS = {
    "workspace": "canvas",
    "kind": "canvas.fill",
    "prompt": "a red balloon over the sea",
    "seed": 1234,
    "steps": 8,
    "model": "sdxl-inpaint",
    "edits": [{"op": "Fill", "seed": 1234}],
}


def _image(tmp_path, name="out.png"):
    path = tmp_path / name
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(path)
    return path


def test_entries_survive_a_restart(tmp_path):
    db = tmp_path / "gallery.sqlite3"
    out = _image(tmp_path)
    with Gallery(db) as gallery:
        first = gallery.add(
            "canvas",
            "canvas.fill",
            [out],
            SETTINGS,
            models={"sdxl-inpaint": "ab" * 32},
            scores={"clip": 0.31},
        )
        gallery.add("headshots", "headshots.pack", [], {"prompt": "studio portrait", "seed": 9})
    with Gallery(db) as again:  # a new connection: what a restart of the app sees
        entry = again.get(first.id)
        assert entry.prompt == SETTINGS["prompt"] and entry.seed == 1234
        assert entry.settings == SETTINGS
        assert entry.models == {"sdxl-inpaint": "ab" * 32} and entry.scores == {"clip": 0.31}
        assert entry.outputs == [str(out.resolve())] and entry.created > 0
        assert [e.kind for e in again.entries("canvas")] == ["canvas.fill"]
        assert [e.workspace for e in again.entries()] == ["headshots", "canvas"]  # newest first
        assert again.count() == 2 and again.count("headshots") == 1
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("fts", [True, False])
def test_search_by_prompt_words(tmp_path, fts):
    gallery = Gallery(tmp_path / "g.sqlite3")
    assert gallery.has_fts  # the stdlib's SQLite has FTS5 here
    gallery.has_fts = fts  # the LIKE scan is what a build without FTS5 uses
    prompts = ["a red balloon over the sea", "red car, 50% off", "blue sea at dusk", 'say "hi"']
    for i, prompt in enumerate(prompts):
        gallery.add("canvas" if i < 3 else "live", "canvas.fill", [], {"prompt": prompt}, created=i)
    assert [e.prompt for e in gallery.search("red")] == prompts[1::-1]
    assert [e.prompt for e in gallery.search("sea RED")] == [prompts[0]]
    assert [e.prompt for e in gallery.search("balloo")] == [prompts[0]]  # word prefix
    assert [e.prompt for e in gallery.search("sea", workspace="canvas")] == [
        prompts[2],
        prompts[0],
    ]
    assert [e.prompt for e in gallery.search('"hi"')] == [prompts[3]]  # quotes are plain text
    assert gallery.search("OR") == [] and gallery.search("NEAR(") == []
    assert len(gallery.search("  ")) == 4
    gallery.close()


def test_delete_and_delete_missing(tmp_path):
    kept, gone = _image(tmp_path, "kept.png"), _image(tmp_path, "gone.png")
    with Gallery(tmp_path / "g.sqlite3") as gallery:
        a = gallery.add("canvas", "canvas.fill", [kept], {"prompt": "kept"})
        b = gallery.add("canvas", "canvas.fill", [gone], {"prompt": "gone"})
        c = gallery.add("canvas", "canvas.fill", [kept], {"prompt": "deleted"})
        gallery.delete(c.id)
        gone.unlink()
        assert gallery.get(b.id).missing_outputs() == [str(gone.resolve())]
        assert gallery.delete_missing() == [b.id]
        assert [e.id for e in gallery.entries()] == [a.id]
        assert gallery.search("gone") == [] and gallery.search("deleted") == []
        with pytest.raises(BadInput, match="not in the gallery"):
            gallery.get(b.id)


def test_a_newer_or_damaged_gallery_is_refused_clearly(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as raw:
        raw.execute("PRAGMA user_version=99")
    with pytest.raises(BadInput, match="newer Studio"):
        Gallery(newer)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BadInput, match="damaged"):
        Gallery(damaged)


def test_record_result_uses_the_default_gallery_and_model_hashes(tmp_path, monkeypatch, store):
    from tests.fixtures.install import install_copy

    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "home"))
    folder = tmp_path / "lama"
    folder.mkdir()
    (folder / "big-lama.pt").write_bytes(b"weights")
    install_copy(store, "lama-big", folder)
    out = _image(tmp_path)
    entry = record_result(
        "canvas",
        "canvas.expand",
        [out],
        {"prompt": "a beach", "seed": 5, "prefill_model": "lama-big", "model": "sdxl-inpaint"},
        store=store,
    )
    assert (tmp_path / "home" / "data" / "gallery.sqlite3").is_file()
    assert len(entry.models["lama-big"]) == 64 and entry.models["sdxl-inpaint"] == ""
    with Gallery() as gallery:
        assert gallery.search("beach")[0].models == entry.models


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp"])
def test_settings_come_back_from_a_file_the_exporter_wrote(tmp_path, ext):
    path = export_image(np.full((16, 16, 3), 200, np.uint8), tmp_path / f"x{ext}", SETTINGS)
    assert read_settings(path) == SETTINGS
    with Gallery(tmp_path / "g.sqlite3") as gallery:  # "use these settings again"
        entry = gallery.add("canvas", "canvas.fill", [path], read_settings(path))
        assert gallery.get(entry.id).settings == SETTINGS


def test_headshot_and_cli_exports_are_read_too(tmp_path):
    from PIL import PngImagePlugin

    from studio.core.imageio import save_image

    cli_png = save_image(
        np.zeros((8, 8, 3), np.uint8),
        tmp_path / "cli.png",
        {"prompt": "a cat", "seed": "42", "steps": "6"},
    )
    assert read_settings(cli_png) == {"prompt": "a cat", "seed": 42, "steps": "6"}
    exif = Image.Exif()
    exif[0x010E] = json.dumps({"style": "studio", "seed": 3})
    exif[0x0131] = "Studio headshots"
    Image.new("RGB", (8, 8)).save(tmp_path / "h.jpg", exif=exif.tobytes())
    assert read_settings(tmp_path / "h.jpg") == {
        "workspace": "headshots",
        "style": "studio",
        "seed": 3,
    }
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "not ours")
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png", pnginfo=info)
    with pytest.raises(NoStudioSettings, match="no Studio settings in 'plain.png'"):
        read_settings(tmp_path / "plain.png")
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(BadInput, match="not an image"):
        read_settings(tmp_path / "notes.png")
    with pytest.raises(BadInput, match="does not exist"):
        read_settings(tmp_path / "nope.png")


def test_gallery_command_lists_searches_and_shows(tmp_path, capsys):
    from studio.cli import main

    out = _image(tmp_path)
    with Gallery() as gallery:  # the default one, under this test's STUDIO_HOME
        first = gallery.add("canvas", "canvas.fill", [out], SETTINGS)
        gallery.add("live", "live.frame", [], {"prompt": "a watercolour cat", "seed": 2})
    assert main(["gallery", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "live.frame 'a watercolour cat' seed 2" in lines[0]
    assert main(["gallery", "search", "balloon", "--workspace", "canvas"]) == 0
    assert f"{first.id:>5}" in capsys.readouterr().out
    assert main(["gallery", "show", str(first.id)]) == 0
    assert json.loads(capsys.readouterr().out) == SETTINGS
    exported = export_image(np.zeros((8, 8, 3), np.uint8), tmp_path / "e.webp", SETTINGS)
    assert main(["gallery", "show", str(exported)]) == 0
    assert json.loads(capsys.readouterr().out) == SETTINGS
    assert main(["gallery", "show", str(out)]) == 2
    assert "no Studio settings in 'out.png'" in capsys.readouterr().err
    out.unlink()
    assert main(["gallery", "forget-missing"]) == 0
    assert "forgot 1 result" in capsys.readouterr().out


def test_a_damaged_gallery_is_named_by_its_full_path_so_it_can_be_moved(tmp_path):
    damaged = tmp_path / "data" / "gallery.sqlite3"
    damaged.parent.mkdir()
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BadInput) as caught:
        Gallery(damaged)
    assert f"'{damaged}' is damaged; move it away" in caught.value.user_message
    assert "your images stay where they are" in caught.value.user_message
