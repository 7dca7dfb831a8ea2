"""The shipped catalogue is complete (licence, size, commercial flag, workspace) and each
workspace's licence summary says whether its output may be used commercially, and why not."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from studio.models.catalogue import load_catalogue, parse_catalogue, workspace_licence


def _raw_files() -> dict[str, dict]:
    folder = resources.files("studio.models").joinpath("catalogue")
    return {
        item.name: json.loads(item.read_text("utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".json")
    }


def test_every_entry_has_licence_size_and_commercial_flag_and_ids_are_unique():
    files = _raw_files()
    assert set(files) == {"canvas.json", "headshots.json", "lipsync.json", "live.json"}
    ids = [m["id"] for data in files.values() for m in data["models"]]
    assert len(ids) == len(set(ids)), "a model id appears twice across the catalogue files"
    for data in files.values():
        for raw in data["models"]:
            assert raw["licence"].strip(), raw["id"]
            assert isinstance(raw["commercial_use"], bool), raw["id"]
            assert isinstance(raw["size_bytes"], int) and raw["size_bytes"] > 0, raw["id"]
            if not raw["commercial_use"]:
                assert raw.get("licence_note"), f"{raw['id']}: say why it is non-commercial"
            revision = raw.get("hub", {}).get("revision", "main")
            assert revision == "main" or re.fullmatch(r"[0-9a-f]{40}", revision), raw["id"]


def test_every_model_belongs_to_a_workspace():
    catalogue = load_catalogue()
    assert set(catalogue.workspaces) == {"canvas", "headshots", "lipsync", "live"}
    used = {i for w in catalogue.workspaces.values() for i in (*w.required, *w.optional)}
    assert used == {e.id for e in catalogue}


def test_licence_facts():
    catalogue = load_catalogue()
    assert catalogue.get("sd-vae-ft-mse").size_bytes == 334_643_276
    assert abs(catalogue.get("antelopev2").size_bytes - 428_000_000) < 1_000_000
    assert "Open RAIL-M" in catalogue.get("musetalk-v15").licence
    assert catalogue.get("whisper-tiny").licence == "Apache-2.0"
    for model_id in (
        "instantid",
        "antelopev2",
        "rembg-isnet-general-use",
        "rembg-birefnet-general",
    ):
        assert not catalogue.get(model_id).commercial_use, model_id
    assert "DIS5K" in catalogue.get("rembg-isnet-general-use").licence_note
    turbo = catalogue.get("sd-turbo")
    assert turbo.commercial_use and "US$1M annual revenue" in turbo.licence_note


def test_headshots_is_non_commercial_because_of_instantid_and_antelopev2():
    summary = workspace_licence("headshots")
    assert not summary.commercial_use
    assert [n.model_id for n in summary.restricted_by] == ["instantid", "antelopev2"]
    assert "Headshots: not for commercial use" in summary.text
    assert "research purposes only" in summary.text


def test_lipsync_needs_antelopev2_so_it_is_non_commercial():
    summary = workspace_licence("lipsync")
    assert not summary.commercial_use
    assert [n.model_id for n in summary.restricted_by] == ["antelopev2"]
    assert [n.model_id for n in summary.optional_restricted] == ["face-parse-bisenet"]


def test_canvas_allows_commercial_use_except_with_dis5k_models():
    summary = workspace_licence("canvas")
    assert summary.commercial_use and not summary.restricted_by
    assert {n.model_id for n in summary.optional_restricted} == {
        "rembg-isnet-general-use",
        "rembg-birefnet-general",
    }
    assert summary.text.startswith("Canvas: commercial use allowed. Except with:")


def test_live_allows_commercial_use_under_a_revenue_limit():
    summary = workspace_licence("live")
    assert summary.commercial_use
    assert [n.model_id for n in summary.conditions] == ["sd-turbo"]
    assert "US$1M" in summary.text


def test_unknown_workspace_and_unknown_model_in_a_workspace_fail_clearly():
    with pytest.raises(KeyError, match="unknown workspace 'paint'.*canvas"):
        workspace_licence("paint")
    bad = {
        "workspace": {"id": "w", "required": ["nope"]},
        "models": [
            {
                "id": "a",
                "name": "A",
                "task": "t",
                "licence": "MIT",
                "commercial_use": True,
                "size_bytes": 1,
                "vram_bytes": 0,
                "hub": {"repo": "r", "files": ["f"]},
            }
        ],
    }
    with pytest.raises(ValueError, match="unknown models"):
        parse_catalogue(json.dumps(bad))
