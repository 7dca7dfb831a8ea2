"""``studio PATH`` ("Open with") names a folder as a folder before any window opens."""

from __future__ import annotations

from studio.cli import main


def test_a_folder_to_open_is_named_as_a_folder(tmp_path, capsys):
    folder = tmp_path / "holiday photos"
    folder.mkdir()
    assert main([str(folder)]) == 2
    err = capsys.readouterr().err
    assert "is a folder; name the images in it" in err
    assert "not a command nor an existing file" not in err
    assert main([str(tmp_path / "gone.png")]) == 2
    assert "is not a command nor an existing file" in capsys.readouterr().err
