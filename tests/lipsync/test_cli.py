from __future__ import annotations

import argparse

from studio.clis import lipsync as cli


def _parse(argv):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    return parser.parse_args(["lipsync", *argv])


def test_cli_reports_bad_input_with_exit_code_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(tmp_path / "models"))
    silent = tmp_path / "silent.wav"
    from studio.pipelines.lipsync.audio import write_wav

    write_wav(silent, [0.0] * 16000, 16000)
    avatar = tmp_path / "a.png"
    avatar.write_bytes(b"the audio is checked first")
    args = _parse(["--avatar", str(avatar), "--audio", str(silent), "-o", str(tmp_path / "o.mp4")])
    assert args.func is cli.main
    assert args.func(args) == 2
    assert "error: The audio 'silent.wav' is silent" in capsys.readouterr().err


def test_cli_renders(lipsync_ctx, avatar_files, short_speech_wav, tmp_path, monkeypatch, capsys):
    import studio.services.headless as headless

    monkeypatch.setattr(headless, "headless_context", lambda quiet=False: lipsync_ctx)
    out = tmp_path / "cli.mp4"
    args = _parse(
        [
            "--avatar",
            str(avatar_files[1]),
            "--audio",
            str(short_speech_wav),
            "-o",
            str(out),
            "--no-idle-motion",
            "--mouth-scale",
            "1.2",
        ]
    )
    assert args.func(args) == 0
    assert out.is_file() and "frames" in capsys.readouterr().out
