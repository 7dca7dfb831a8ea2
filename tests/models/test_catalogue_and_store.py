"""The catalogue parses and has no duplicates; the store knows what is installed."""

from __future__ import annotations

import json

import pytest

from studio.core.errors import ModelMissing
from studio.models.catalogue import load_catalogue, parse_catalogue
from studio.models.verify import verify_installed
from tests.fixtures.install import install_built


def test_shipped_catalogue_is_complete_and_unique():
    catalogue = load_catalogue()
    ids = [e.id for e in catalogue]
    assert len(ids) == len(set(ids))
    for entry in catalogue:
        assert entry.licence and entry.size_bytes > 0 and entry.vram_bytes >= 0
        assert (entry.hub is None) != (not entry.urls)
        for url in entry.urls:
            assert url.sha256 or url.md5, f"{entry.id}: {url.filename} has no hash"
    for needed in ("sam-vit-b", "sdxl-inpaint", "sd-turbo", "taesd", "instantid", "whisper-tiny"):
        assert needed in catalogue


def test_duplicate_and_hashless_entries_are_rejected():
    base = {
        "name": "x",
        "task": "t",
        "licence": "MIT",
        "commercial_use": True,
        "size_bytes": 1,
        "vram_bytes": 0,
    }
    dup = {"models": [dict(base, id="a", hub={"repo": "r", "files": ["f"]})] * 2}
    with pytest.raises(ValueError, match="duplicate"):
        parse_catalogue(json.dumps(dup))
    hashless = {"models": [dict(base, id="b", urls=[{"url": "http://x/f", "filename": "f"}])]}
    with pytest.raises(ValueError, match="no hash"):
        parse_catalogue(json.dumps(hashless))


def test_missing_model_error_names_model_and_size(store):
    assert not store.is_installed("sam-vit-b")
    with pytest.raises(ModelMissing) as info:
        store.require("sam-vit-b")
    assert "Segment Anything ViT-B" in info.value.user_message
    assert "375.0 MB" in info.value.user_message
    assert "studio models download sam-vit-b" in info.value.user_message


def test_installed_model_is_found_and_verifies(store):
    install_built(store, "taesd", lambda d: (d / "config.json").write_text("{}"))
    assert store.is_installed("taesd")
    assert store.require("taesd") == store.root / "taesd"
    assert [e.id for e in store.installed()] == ["taesd"]
    assert verify_installed(store, "taesd") == []
    (store.root / "taesd" / "config.json").write_text('{"tampered": 1}')
    assert verify_installed(store, "taesd") == ["changed: config.json"]
    (store.root / "taesd" / "config.json").unlink()
    assert verify_installed(store, "taesd") == ["missing: config.json"]


def test_half_built_staging_is_not_installed(store):
    staged = store.staging_dir("taesd")
    (staged / "config.json").write_text("{}")
    assert not store.is_installed("taesd")
    store.delete("taesd")
    assert not staged.exists()


def test_unknown_id_fails_loudly(store):
    with pytest.raises(KeyError, match="unknown model id"):
        store.require("no-such-model")


def test_replacing_or_deleting_removes_the_marker_first(store, monkeypatch):
    import shutil as _shutil

    install_built(store, "taesd", lambda d: (d / "w.bin").write_bytes(b"1"))

    def crash(*args, **kwargs):
        raise OSError("disk went away mid-delete")

    monkeypatch.setattr(_shutil, "rmtree", crash)
    store.delete("taesd")  # the folder is moved aside before any file is deleted
    assert not store.is_installed("taesd")
    assert not (store.root / "taesd").exists()


def test_require_all_names_every_missing_model_at_once(store):
    install_built(store, "taesd", lambda d: (d / "config.json").write_text("{}"))
    with pytest.raises(ModelMissing) as info:
        store.require_all("taesd", "sd-turbo", "sam-vit-b")
    assert info.value.model_ids == ["sd-turbo", "sam-vit-b"]
    msg = info.value.user_message
    assert "SD-Turbo" in msg and "Segment Anything ViT-B" in msg
    assert "studio models download sd-turbo sam-vit-b" in msg
    assert store.require_all("taesd") == [store.root / "taesd"]


def test_garbled_marker_is_not_installed_and_doctor_flags_it(store):
    from studio.doctor import collect, format_report
    from studio.models.store import MARKER
    from studio.models.verify import DAMAGED_MARKER, verify_models

    install_built(store, "taesd", lambda d: (d / "config.json").write_text("{}"))
    (store.root / "taesd" / MARKER).write_text('{"id": "taesd", "sha256": {"conf')
    assert not store.is_installed("taesd") and store.marker_damaged("taesd")
    assert store.installed() == []
    with pytest.raises(ModelMissing):
        store.require("taesd")
    assert verify_models(store) == [("taesd", [DAMAGED_MARKER])]
    report = collect(store)
    row = next(m for m in report["models"] if m["id"] == "taesd")
    assert row == {"id": "taesd", "installed": False, "damaged": True, "size_bytes": 9_800_000}
    assert "[!] taesd" in format_report(report)
    assert "studio models download taesd --force" in format_report(report)
