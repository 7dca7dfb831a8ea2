"""``python -m scripts.bench.headshots --face-detail S --pose KEY``: the default pack's
benchmark with face detail and a pose, run with ``--smoke`` (tiny models on the CPU). Not a
timed test: it checks that the options reach the pack and the JSON records them."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _restore_threads():
    import torch

    saved = torch.get_num_threads()
    yield
    torch.set_num_threads(saved)


def test_the_pack_benchmark_takes_face_detail_and_a_pose(capsys, tmp_path):
    from scripts.bench.headshots import main

    out = tmp_path / "h.json"
    argv = ["--smoke", "--only", "pack", "--face-detail", "0.5", "--pose", "head-tilt"]
    assert main([*argv, "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    pack = result["pack"]
    assert (pack["face_detail"], pack["pose"]) == (0.5, "head-tilt")
    assert pack["pack_s"] > 0 and pack["refine_s_per_image"] > 0
    assert json.loads(out.read_text()) == result
    assert "reroll" not in result  # --only still picks the sections


def test_a_bad_pose_is_reported_in_the_section(capsys):
    from scripts.bench.headshots import main

    assert main(["--smoke", "--only", "pack", "--pose", "sideways"]) == 1
    assert "Unknown pose 'sideways'" in json.loads(capsys.readouterr().out)["pack"]["error"]
