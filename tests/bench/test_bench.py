"""Each benchmark runs with ``--smoke`` (tiny models on the CPU) and prints its JSON fields.

Not timed tests: they check that every section ran through the production code and reported
positive numbers under the keys the README's speed table reads.
"""

from __future__ import annotations

import json

import pytest
from scripts.bench.__main__ import main

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _restore_threads():
    import torch

    saved = torch.get_num_threads()
    yield
    torch.set_num_threads(saved)


def run_smoke(capsys, *args: str) -> dict:
    code = main([*args, "--smoke"])
    out = json.loads(capsys.readouterr().out)
    errors = {k: v["error"] for k, v in out.items() if isinstance(v, dict) and "error" in v}
    assert not errors and code == 0
    return out


def positive(section: dict, *keys: str) -> None:
    for key in keys:
        value = section[key]
        number = value["median_ms"] if isinstance(value, dict) else value
        assert number > 0, (key, value)


def test_canvas_smoke(capsys):
    out = run_smoke(capsys, "canvas")
    assert out["device"] == "cpu" and out["smoke"] is True
    for sam in ("sam_b", "sam_h"):
        positive(out[sam], "embed", "click_pipeline_with_image_key", "click_pipeline_hashing_image")
    positive(out["lama"], "remove_64")
    positive(out["fill"], "fill_run", "fp16_fix_vae_fill_run")
    positive(out["upscale"], "upscale_tile_32", "upscale_untiled")
    positive(out["cutout"], "cutout")
    assert all(out[s]["rss_mb"] > 0 for s in ("sam_b", "lama", "fill", "upscale", "cutout"))


def test_canvas_only_picks_sections(capsys):
    out = run_smoke(capsys, "canvas", "--only", "upscale")
    assert "upscale" in out and not {"sam_b", "sam_h", "lama", "fill", "cutout"} & set(out)


def test_headshots_smoke(capsys, tmp_path):
    out = run_smoke(capsys, "headshots", "--out", str(tmp_path / "h.json"))
    positive(out["pack"], "pack_s", "draft_s_per_image", "refine_s_per_image")
    assert set(out["pack"]["stages_s"]) == {"selfies", "load", "drafts", "refine"}
    positive(out["reroll"], "reroll_draft_s", "reroll_refined_s")
    assert json.loads((tmp_path / "h.json").read_text()) == out


def test_lipsync_smoke(capsys):
    out = run_smoke(capsys, "lipsync")
    positive(out["avatar"], "avatar_prepare_s", "avatar_cached_load_s")
    positive(out["render"], "total_1s_audio_s", "first_chunk_1s_audio_s", "realtime_factor_1s")
    assert out["render"]["frames_1s"] == 25


def test_live_smoke(capsys):
    out = run_smoke(capsys, "live")
    for name in ("img2img_eager", "txt2img_eager"):
        positive(out[name], "ms_per_frame", "mean_latency_ms")
        assert out[name]["rendered"] == out[name]["frames"] == 5
    assert out["img2img_best_ms"] == out["img2img_eager"]["ms_per_frame"]


def test_soak_smoke(capsys, qapp):
    """``qapp`` first: the soak reuses it, so later GUI tests still find a QApplication."""
    out = run_smoke(capsys, "soak", "--jobs", "30")
    assert out["end"]["jobs"] >= 30 and out["after_warmup"]["jobs"] == 10
    for point in ("start", "after_warmup", "end"):
        assert out[point]["rss_mb"] > 0
        assert out[point]["refs_true"] > 0 and out[point]["refs_none"] > 0
    assert isinstance(out["growth_rss_mb_per_100_jobs"], float)
    assert out["failures"] == [] and out["service_stopped"] is True


def test_unknown_section_is_refused(capsys):
    with pytest.raises(SystemExit, match="unknown sections"):
        main(["live", "--smoke", "--only", "nope"])
