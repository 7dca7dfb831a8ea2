"""``studio lipsync talk``: a speech file fed in chunks through the live path to a kept take,
its latency as JSON; no microphone, or a missing input, is said clearly (exit 2)."""

from __future__ import annotations

import json

import pytest

from studio.cli import main


@pytest.fixture
def headless(lipsync_ctx, monkeypatch):
    import studio.services.headless as headless

    monkeypatch.setattr(headless, "headless_context", lambda quiet=False: lipsync_ctx)
    return lipsync_ctx


def test_talk_feeds_the_file_in_chunks_and_prints_latency_json(
    headless, avatar_files, short_speech_wav, tmp_path, capsys
):
    out = tmp_path / "take.mp4"
    args = ["lipsync", "talk", "--avatar", str(avatar_files[1]), "--audio", str(short_speech_wav)]
    assert main([*args, "--chunk-ms", "80", "--out", str(out), "--fast", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["output"] == str(out) and out.is_file()
    assert summary["frames"] == int(summary["audio_s"] * 25) > 0
    assert set(summary["speech_to_mouth_ms"]) == {"p50", "p95", "max"}
    assert summary["latency_ms"]["p50"] <= summary["latency_ms"]["p95"]
    assert summary["render_fps"] > 0


def test_talk_without_a_microphone_says_so(headless, avatar_files, tmp_path, capsys, monkeypatch):
    from studio.pipelines.lipsync import recorder

    monkeypatch.setattr(recorder.SoundDeviceBackend, "devices", lambda self: [])
    out = tmp_path / "mic.mp4"
    assert (
        main(["lipsync", "talk", "--avatar", str(avatar_files[1]), "--mic", "--out", str(out)]) == 2
    )
    assert "error: No microphone was found" in capsys.readouterr().err
    assert not out.exists()


def test_talk_with_a_faceless_photo_keeps_nothing(
    headless, avatar_files, short_speech_wav, tmp_path, capsys
):
    out = tmp_path / "none.mp4"
    args = ["lipsync", "talk", "--avatar", str(avatar_files[0]), "--audio", str(short_speech_wav)]
    assert main([*args, "--out", str(out), "--fast"]) == 2
    assert "face" in capsys.readouterr().err and not list(tmp_path.glob("*.mp4*"))


def test_render_still_needs_its_inputs(tmp_path, capsys):
    assert main(["lipsync", "-o", str(tmp_path / "o.mp4")]) == 2
    assert "lipsync needs --avatar, --audio" in capsys.readouterr().err
