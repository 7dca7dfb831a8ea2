"""``python -m scripts.bench startup --smoke`` starts the real app in subprocesses and reports.

Not a timed test: it checks that a cold and a warm start ran to a shown main window with its
four workspaces, and that the timings the README reads are present, positive and ordered.
"""

from __future__ import annotations

import json

import pytest
from scripts.bench.__main__ import main

pytestmark = pytest.mark.slow


def test_startup_smoke(capsys, tmp_path):
    code = main(["startup", "--smoke", "--out", str(tmp_path / "startup.json")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert json.loads((tmp_path / "startup.json").read_text()) == out
    assert out["smoke"] is True and out["target_s"] == 2.0
    assert out["xcb"] == {"skipped": "smoke run"}
    offscreen = out["offscreen"]
    assert offscreen["window"] == {
        "title": "Studio",
        "workspaces": 4,
        "visible": True,
        "platform": "offscreen",
    }
    assert offscreen["warm_runs"] == 1
    assert offscreen["cold_s"] > 0 and offscreen["warm_median_s"] == offscreen["warm_min_s"] > 0
    steps = offscreen["warm_breakdown_median_s"]
    assert 0 < steps["interpreter_s"] < steps["imports_s"] < steps["window_built_s"]
    assert steps["window_built_s"] <= steps["show_called_s"] <= offscreen["warm_median_s"]
    assert steps["usable_cpu_s"] > 0
    assert isinstance(offscreen["under_target"], bool)
