"""The README speed table from a run's JSON files (``python -m scripts.bench.table``)."""

from __future__ import annotations

import json

from scripts.bench.table import main


def test_table_rows_failures_and_headline(tmp_path, capsys):
    canvas = {
        "device": "NVIDIA H200",
        "lama": {
            "jobs": {
                "remove_1024": {
                    "studio_ms": 30.5,
                    "plain_ms": 61.0,
                    "ratio": 2.0,
                    "path": "bf16 spatial + fp32 FFT",
                    "tolerance": {"max_abs": 1.0, "mean_abs": 0.01, "psnr_db": 58.1},
                }
            }
        },
        "fill": {"error": "RuntimeError: boom", "trace": "..."},
    }
    headshots = {"pack": {"pack_s": 9.0}, "studio_ms": 9000.0, "plain_ms": 45000.0, "ratio": 5.0}
    (tmp_path / "bench_canvas.json").write_text(json.dumps(canvas))
    (tmp_path / "bench_headshots.json").write_text(json.dumps(headshots))
    (tmp_path / "bench_live.json").write_text("{not json")
    assert main([str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| job | Studio | plain | ratio |")
    assert (
        "| canvas lama remove_1024 | 30.5 ms | 61.0 ms | 2.0 | bf16 spatial + fp32 FFT | "
        "max_abs: 1.0; psnr_db: 58.1 |" in lines
    )
    assert "| headshots | 9.00 s | 45.00 s | 5.0 | - | - |" in lines
    assert "- canvas.fill: RuntimeError: boom" in lines
    assert any(line.startswith("- live: unreadable") for line in lines)


def test_table_needs_a_folder(capsys):
    assert main([]) == 2
