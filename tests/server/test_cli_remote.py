"""``studio canvas ... --server URL`` and ``studio lipsync --server URL`` through ``main(argv)``:
the same files as the local run, and clear messages when the server is not there."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from tests.server.conftest import free_port

from studio.cli import main


@pytest.fixture
def files(tmp_path, photo, monkeypatch, model_store):
    """A photo and a mask in ``tmp_path``; local runs use the server's store of tiny models."""
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(model_store.root))
    monkeypatch.delenv("STUDIO_SERVER", raising=False)
    monkeypatch.delenv("STUDIO_SERVER_TOKEN", raising=False)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[30:60, 40:80] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return tmp_path


def _remove(files, output: str, *extra: str) -> list[str]:
    photo, mask = str(files / "photo.png"), str(files / "mask.png")
    return ["canvas", "remove", "--image", photo, "--mask", mask, "-o", output, "-q", *extra]


def test_canvas_remove_on_a_server_writes_what_the_local_run_writes(server, files, capsys):
    assert main(_remove(files, str(files / "local.png"))) == 0
    assert main(_remove(files, str(files / "remote.png"), "--server", server.url)) == 0
    assert "error" not in capsys.readouterr().err
    local = np.asarray(Image.open(files / "local.png"))
    remote = np.asarray(Image.open(files / "remote.png"))
    assert remote.shape == local.shape == (96, 128, 3)
    assert np.array_equal(remote, local)
    assert not np.array_equal(remote, np.asarray(Image.open(files / "photo.png")))


def test_the_server_may_come_from_the_environment(server, files, monkeypatch):
    monkeypatch.setenv("STUDIO_SERVER", server.url + "/")
    jobs = server.state.config.resolved_work_dir() / "jobs"
    before = set(jobs.iterdir())
    assert main(_remove(files, str(files / "env.png"))) == 0
    assert (files / "env.png").is_file()
    assert len(set(jobs.iterdir()) - before) == 1  # it ran there, not here


def test_lipsync_on_a_server_writes_the_same_video(server, files, avatar_file, speech, capsys):
    import av

    def argv(name: str, *extra: str) -> list[str]:
        out = str(files / name)
        return ["lipsync", "--avatar", str(avatar_file), "--audio", str(speech), "-o", out, *extra]

    assert main(argv("local.mp4", "-q")) == 0
    assert main(argv("remote.mp4", "--server", server.url)) == 0
    printed = capsys.readouterr().out
    assert str(files / "remote.mp4") in printed and "frames" in printed
    assert not list(files.glob("*.part"))
    with av.open(str(files / "remote.mp4")) as mine, av.open(str(files / "local.mp4")) as theirs:
        assert mine.streams.video[0].average_rate == 25
        a = [f.to_ndarray(format="rgb24") for f in mine.decode(video=0)]
        b = [f.to_ndarray(format="rgb24") for f in theirs.decode(video=0)]
    assert len(a) == len(b) > 0
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_closed_port_is_a_clear_error(files, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    code = main(_remove(files, str(files / "out.png"), "--server", url))
    err = capsys.readouterr().err
    assert code == 2
    assert f"The Studio server at {url} cannot be reached" in err
    assert "Traceback" not in err
    assert not (files / "out.png").exists()


def test_options_are_checked_before_any_connection(files, capsys):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: a connection would say so
    code = main(_remove(files, str(files / "out.gif"), "--server", url))
    err = capsys.readouterr().err
    assert code == 2 and "--output" in err and "cannot be reached" not in err
    code = main(_remove(files, str(files / "out.png"), "--server", "gpu-box:8765"))
    err = capsys.readouterr().err
    assert code == 2 and "argument --server" in err and "http://" in err


def test_live_frame_on_a_server_writes_the_same_image(server, files, capsys):
    def argv(name: str, *extra: str) -> list[str]:
        out = str(files / name)
        return ["live", "--prompt", "a cat", "--image", str(files / "photo.png"), "-o", out,
                "--width", "64", "--height", "64", "--seed", "3", "-q", *extra]  # fmt: skip

    assert main(argv("local.png")) == 0
    assert main(argv("remote.png", "--server", server.url)) == 0
    local = np.asarray(Image.open(files / "local.png"))
    remote = np.asarray(Image.open(files / "remote.png"))
    assert remote.shape == local.shape == (64, 64, 3)
    assert np.array_equal(remote, local)
