"""The benchmark script runs (``--smoke``: tiny models on the CPU) and prints one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_bench_smoke():
    script = Path(__file__).resolve().parents[2] / "scripts" / "bench_headshots.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = json.loads(proc.stdout)
    assert "errors" not in out, out.get("errors")
    for key in (
        "draft_s_per_image",
        "refine_s_per_image",
        "upscale_s_per_image",
        "pack_s",
        "baseline_pack_s",
        "speedup",
        "score_s_per_image",
    ):
        assert out[key] > 0, key
