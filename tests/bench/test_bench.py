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


def compared(section: dict, *jobs: str) -> None:
    """Each job ran the plain library path too: times, their ratio, the path and tolerance;
    the headline job's numbers are at the top of the section."""
    for name in jobs:
        numbers = section["jobs"][name]
        assert numbers["studio_ms"] > 0 and numbers["plain_ms"] > 0, numbers
        assert numbers["ratio"] == pytest.approx(
            numbers["plain_ms"] / numbers["studio_ms"], rel=1e-2
        )
        assert isinstance(numbers["path"], str) and isinstance(numbers["tolerance"], dict)
    head = section["jobs"][section["headline_job"]]
    assert all(section[k] == head[k] for k in ("studio_ms", "plain_ms", "ratio", "path"))


def test_canvas_smoke(capsys):
    out = run_smoke(capsys, "canvas")
    assert out["device"] == "cpu" and out["smoke"] is True
    for sam in ("sam_b", "sam_h"):
        positive(out[sam], "embed", "click_pipeline_with_image_key", "click_pipeline_hashing_image")
        compared(out[sam], "embed", "click")
        tolerance = out[sam]["jobs"]["embed"]["tolerance"]
        assert tolerance["features_vs_fp32"]["max_abs"] == 0.0  # fp32 on the CPU: the same
        assert tolerance["mask_iou_vs_fp32"] == 1.0
    positive(out["lama"], "remove_64")
    compared(out["lama"], "remove_64")
    lama = out["lama"]["jobs"]["remove_64"]
    assert lama["path"] == "fp32" and lama["tolerance"]["outside_mask_identical"] is True
    assert lama["tolerance"]["max_abs"] == 0.0  # the plain fp32 call, same pixels
    positive(out["fill"], "fill_run", "fp16_fix_vae_fill_run")
    compared(out["fill"], "fill_run", "fp16_fix_vae_fill_run")
    assert out["fill"]["jobs"]["fill_run"]["path"].startswith("eager")  # graphs: CUDA only
    for job in out["fill"]["jobs"].values():  # Studio's pixels are diffusers' own, same seed
        assert job["tolerance"]["vs_plain_pipeline"]["max_abs"] == 0.0
    positive(out["upscale"], "upscale_tile_32", "upscale_untiled")
    compared(out["upscale"], "upscale_tile_32", "upscale_untiled")
    for job in out["upscale"]["jobs"].values():
        assert job["tolerance"]["max_abs"] == 0.0  # fp32 tiles with overlap: exact here
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
    loop_s = 2 * out["reroll"]["reroll_draft_s"] + 2 * out["reroll"]["reroll_refined_s"]
    assert out["plain_ms"] == pytest.approx(loop_s * 1000, rel=1e-3)
    assert out["studio_ms"] == pytest.approx(out["pack"]["pack_s"] * 1000, rel=1e-3)
    assert out["ratio"] == pytest.approx(out["plain_ms"] / out["studio_ms"], rel=1e-2)
    assert json.loads((tmp_path / "h.json").read_text()) == out


def test_lipsync_smoke(capsys):
    out = run_smoke(capsys, "lipsync")
    positive(out["avatar"], "avatar_prepare_s", "avatar_cached_load_s")
    positive(out["render"], "total_1s_audio_s", "first_chunk_1s_audio_s", "realtime_factor_1s")
    assert out["render"]["frames_1s"] == 25
    positive(out["talk"], "render_fps", "sustained_fps")
    assert out["talk"]["frames"] == 25
    positive(out["video_avatar"], "prepare_0.4s_clip_s")


def test_live_smoke(capsys):
    out = run_smoke(capsys, "live")
    for name in ("img2img_eager", "txt2img_eager"):
        positive(out[name], "ms_per_frame", "mean_latency_ms")
        assert out[name]["rendered"] == out[name]["frames"] == 5
    assert out["img2img_best_ms"] == out["img2img_eager"]["ms_per_frame"] == out["studio_ms"]
    assert out["img2img_eager"]["path"] == "eager"
    assert out["img2img_eager"]["tolerance"]["vs_eager"]["max_abs"] == 0.0
    assert out["img2img_plain"]["ms_per_frame"] > 0
    assert out["plain_ms"] == out["img2img_plain"]["ms_per_frame"]
    assert out["ratio"] == pytest.approx(out["plain_ms"] / out["studio_ms"], rel=1e-2)
    recording = out["recording"]  # the stream with and without an MP4 being recorded
    positive(recording, "ms_per_frame_off", "ms_per_frame_on", "hook_ms_per_frame")
    assert recording["cost_ms_per_frame"] == pytest.approx(
        recording["ms_per_frame_on"] - recording["ms_per_frame_off"], abs=1e-3
    )
    assert recording["recorded_frames"] + recording["dropped_frames"] == 8  # warm-up + 5
    for name, model in (("sd_turbo_img2img", "sd-turbo"), ("sdxl_turbo_img2img", "sdxl-turbo")):
        assert out[name]["rendered"] == 5 and out[name]["size"] == "64x64"
        assert out["fps"][model] == out[name]["fps"] > 0


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
