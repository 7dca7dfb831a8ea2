"""Settings round-trip through the config file; older and damaged files still load."""

from __future__ import annotations

import json

from studio.core.settings import Settings


def test_defaults_when_no_file():
    settings = Settings.load()
    assert settings == Settings() and settings.welcomed is False


def test_save_then_load_keeps_every_field():
    Settings(device="cpu", vram_budget_gb=6.0, models_dir="/m", welcomed=True).save()
    assert Settings.load() == Settings("cpu", 6.0, "/m", welcomed=True)
    assert json.loads(Settings.path().read_text())["welcomed"] is True


def test_file_from_before_the_welcome_flag_loads_and_is_not_welcomed():
    Settings.path().parent.mkdir(parents=True, exist_ok=True)
    Settings.path().write_text(json.dumps({"device": "cuda:1", "vram_budget_gb": 4.0}))
    settings = Settings.load()
    assert (settings.device, settings.vram_budget_gb, settings.welcomed) == ("cuda:1", 4.0, False)


def test_unknown_keys_from_a_newer_version_are_ignored():
    Settings.path().parent.mkdir(parents=True, exist_ok=True)
    Settings.path().write_text(json.dumps({"welcomed": True, "theme": "dark"}))
    assert Settings.load() == Settings(welcomed=True)


def test_damaged_file_gives_defaults(caplog):
    Settings.path().parent.mkdir(parents=True, exist_ok=True)
    for text in ("{not json", "[1, 2]"):
        Settings.path().write_text(text)
        assert Settings.load() == Settings()
    assert "using defaults" in caplog.text
