"""Style packs, the prompt filter, job registration and the ``studio headshots`` command."""

from __future__ import annotations

import json
import re

import pytest

from studio.core.errors import BadInput
from studio.pipelines.headshots import styles


def test_at_least_twelve_style_packs():
    packs = styles.list_styles()
    assert len(packs) >= 12
    assert len({s.id for s in packs}) == len(packs)
    for s in packs:
        assert s.render() and "{custom}" not in s.render()
        assert s.negative_prompt
        assert 0 < s.setting("id_strength") <= 1.5 and s.setting("steps") >= 1
        assert isinstance(s.setting("pose"), bool)
    corporate = styles.get_style("Corporate")
    assert corporate.render("red tie").endswith("red tie")


def test_prompt_filter_and_empty_styles(tmp_path):
    for text in ("nude portrait", "a sexy photo", "as a child", "make me the president"):
        with pytest.raises(BadInput, match="not allowed"):
            styles.check_prompt(text)
    styles.check_prompt("navy suit, soft light")
    with pytest.raises(BadInput, match="empty"):
        styles.custom_style("")
    (tmp_path / "blank.json").write_text(json.dumps({"name": "Blank", "prompt": " {custom} "}))
    with pytest.raises(BadInput, match="empty prompt"):
        styles.list_styles(tmp_path)
    (tmp_path / "blank.json").write_text("{ not json")
    with pytest.raises(BadInput, match="not a valid style"):
        styles.list_styles(tmp_path)


def test_jobs_registered_without_heavy_imports():
    import subprocess
    import sys

    code = (
        "import sys; from studio.pipelines.headshots import JOBS; "
        "print(sorted(JOBS)); print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "['headshots.check', 'headshots.pack', 'headshots.reroll']"
    assert out[1] == "False"


def test_check_job_reports_each_selfie(run_context, photos):
    from studio.pipelines.headshots import JOBS
    from studio.pipelines.headshots.selfies import SelfieRequest

    result = JOBS["headshots.check"](
        SelfieRequest([photos["astronaut"], photos["group"], photos["astronaut"][:, ::-1]]),
        run_context,
    )
    assert [r.ok for r in result.reports] == [True, False, True]
    assert "faces found" in result.reports[1].message
    assert result.reports[0].crop.shape == (150, 150, 3)
    assert result.same_person and result.accepted == 2


def _parse(argv):
    import argparse

    from studio.clis import headshots

    parser = argparse.ArgumentParser()
    headshots.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_runs_a_pack(hs_store, selfie_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(hs_store.root))
    out = tmp_path / "out"
    args = _parse(
        [
            "headshots",
            "--selfie",
            str(selfie_file),
            "--style",
            "linkedin",
            "-n",
            "3",
            "--size",
            "64",
            "--top-k",
            "1",
            "--batch",
            "3",
            "-o",
            str(out),
            "-q",
        ]
    )
    assert args.func(args) == 0
    exported = sorted(out.glob("headshot_*.jpg"))
    assert len(exported) == 1  # the refined one (the tiny model's drafts are all flagged)
    assert json.loads(exported[0].with_suffix(".json").read_text())["style"] == "linkedin"
    assert (out / "pack" / "pack.json").is_file()
    printed = capsys.readouterr().out
    assert "1 images written" in printed
    # one numbering with the window and the file names: the first image is #001, headshot_001
    listed = re.findall(r"^  #(\d{3}) seed ", printed, re.MULTILINE)
    assert sorted(listed) == ["001", "002", "003"]
    assert exported[0].stem.removeprefix("headshot_") in listed


def test_cli_errors(hs_store, tmp_path, monkeypatch, capsys, photos):
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(hs_store.root))
    from PIL import Image

    group = tmp_path / "group.jpg"
    Image.fromarray(photos["group"]).save(group)
    args = _parse(["headshots", "--selfie", str(group), "-o", str(tmp_path / "o"), "-q"])
    assert args.func(args) == 2
    assert "error: " in capsys.readouterr().err
    args = _parse(["headshots", "--list-styles"])
    assert args.func(args) == 0
    assert "corporate" in capsys.readouterr().out
