"""``studio serve`` refuses impossible options with argparse's message (exit 2), not a traceback
from the socket or the file system once the server starts."""

from __future__ import annotations

import pytest

from studio.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "99999"], "--port: must be a whole number from 1 to 65535, got 99999"),
        (["--port", "-1"], "--port: must be a whole number from 1 to 65535"),
        (["--lipsync-port", "70000"], "--lipsync-port: must be a whole number from 1 to 65535"),
        (["--device", "banana"], "--device: expected auto, cpu, cuda or cuda:N, got 'banana'"),
        (["--device", "cuda:x"], "--device: expected auto, cpu, cuda or cuda:N"),
        (["--max-upload-mb", "-5"], "--max-upload-mb: must be a whole number from 1"),
        (["--result-ttl", "-1"], "--result-ttl: must be a number in [1,"),
    ],
)
def test_impossible_options_are_refused_by_name(argv, message, capsys):
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_file_as_the_work_dir_is_refused(tmp_path, capsys):
    afile = tmp_path / "notes.txt"
    afile.write_text("x")
    assert main(["serve", "--work-dir", str(afile)]) == 2
    err = capsys.readouterr().err
    assert "--work-dir: " in err and "is a file; give a folder" in err


def test_good_device_settings_pass(capsys):
    from studio.clis.serve import device_setting

    assert [device_setting(t) for t in ("auto", "CPU", "cuda", "cuda:1")] == [
        "auto",
        "cpu",
        "cuda",
        "cuda:1",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--gpu", "-3"], "--gpu: must be a whole number from 0 to 63, got -3"),
        (["--device", "gpu1"], "--device: expected auto, cpu, cuda or cuda:N"),
        (["--live-port", "0"], "--live-port: must be a whole number from 1 to 65535"),
        (["--visibility-timeout", "0"], "--visibility-timeout: must be a number in [1,"),
        (["--log-level", "loud"], "--log-level: invalid choice: 'LOUD'"),
    ],
)
def test_the_worker_refuses_impossible_options_by_name(argv, message, capsys):
    assert main(["worker", "--broker", "redis://127.0.0.1:1/0", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
