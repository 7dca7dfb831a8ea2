"""Every option of every ``studio`` subcommand fed its edge values: never a traceback.

The subcommands and their options are discovered from the real parser, so a new option is
covered as soon as it exists. Values an option's converter refuses must make ``main(argv)``
return non-zero with a message naming the option; unwritable outputs must be refused before
any model loads (the store is empty, so a job that got further would say "not installed").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.cli import _gui, build_parser, main, route

EDGE_VALUES = ["0", "-1", "nan", "inf", "-inf", "1e400", str(2**70), str(-(2**70)), "abc", ""]
EDGE_VALUES += ["1.5", "100000", "0x10", " "]
WRITERS = {  # command -> the output it writes (an image, a video, a folder)
    ("canvas", "segment"): "out.png",
    ("canvas", "remove"): "out.png",
    ("canvas", "fill"): "out.png",
    ("canvas", "cutout"): "out.png",
    ("canvas", "upscale"): "out.png",
    ("lipsync",): "out.mp4",
    ("live",): "out.png",
    ("headshots",): "out",
}


@pytest.fixture
def files(tmp_path, monkeypatch) -> dict[str, Path]:
    from studio.pipelines.lipsync.audio import write_wav

    monkeypatch.setenv("STUDIO_MODELS_DIR", str(tmp_path / "empty-store"))
    monkeypatch.chdir(tmp_path)
    photo = tmp_path / "in.png"
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(photo)
    mask = np.zeros((48, 64), np.uint8)
    mask[10:20, 10:20] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    t = np.arange(16000) / 16000
    write_wav(tmp_path / "speech.wav", 0.3 * np.sin(2 * np.pi * 220 * t), 16000)
    (tmp_path / "regular").write_text("not a folder")
    (tmp_path / "folder").mkdir()
    return {
        "image": photo,
        "mask": tmp_path / "mask.png",
        "audio": tmp_path / "speech.wav",
        "regular": tmp_path / "regular",
        "folder": tmp_path / "folder",
    }


def _base(command: tuple[str, ...], files: dict[str, Path], output: str) -> list[str]:
    """A valid command line (but for the models) writing ``output``."""
    image = str(files["image"])
    if command[0] == "canvas":
        extra = (
            ["--mask", str(files["mask"])] if command[1] in ("segment", "remove", "fill") else []
        )
        return [*command, "--image", image, *extra, "-o", output, "-q"]
    if command == ("lipsync",):
        return ["lipsync", "--avatar", image, "--audio", str(files["audio"]), "-o", output, "-q"]
    if command == ("live",):
        return ["live", "--prompt", "a cat", "--image", image, "-o", output, "-q"]
    return ["headshots", "--selfie", image, "-o", output, "-q"]


def _subcommands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(((*prefix, name), sub))
                found.extend(_subcommands(sub, (*prefix, name)))
    return found


def _typed_options() -> list[tuple[tuple[str, ...], str, object]]:
    """(command, option string, converter) for every option of a writing command that
    converts its value."""
    out = []
    for command, sub in _subcommands(build_parser()):
        if command not in WRITERS:
            continue
        for action in sub._actions:
            if action.option_strings and action.type is not None and action.nargs != 0:
                out.append((command, action.option_strings[-1], action.type))
    return out


def _run(capsys, argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert "Traceback" not in text, f"{argv}:\n{text}"
    assert isinstance(code, int)
    return code, text


def _refuses(convert: object, value: str) -> bool:
    try:
        convert(value)  # type: ignore[operator]
    except (argparse.ArgumentTypeError, TypeError, ValueError):
        return True
    return False


OPTIONS = _typed_options()


def test_every_writing_command_has_checked_options():
    commands = {command for command, _, _ in OPTIONS}
    assert commands == set(WRITERS)
    names = {(c[-1], o) for c, o, _ in OPTIONS}
    for expected in [
        ("fill", "--seed"),
        ("fill", "--steps"),
        ("remove", "--feather"),
        ("upscale", "--tile"),
        ("lipsync", "--batch-size"),
        ("lipsync", "--mouth-scale"),
        ("lipsync", "--smoothing"),
        ("live", "--model"),
        ("headshots", "--count"),
    ]:
        assert expected in names


@pytest.mark.parametrize(
    ("command", "option", "convert"),
    OPTIONS,
    ids=[f"{' '.join(c)} {o}" for c, o, _ in OPTIONS],
)
def test_edge_values_are_refused_by_name_or_accepted(command, option, convert, files, capsys):
    refused = [v for v in EDGE_VALUES if _refuses(convert, v)]
    if getattr(convert, "__name__", "") in ("int", "float"):
        # what no number option may accept: not a number, not finite, beyond 64 bits
        for must in ("abc", "nan", "inf", "1e400", str(2**70), ""):
            assert must in refused, f"{option} accepts {must!r}"
    # through main() for a spread of them (argparse costs ~0.1 s per call)
    for value in refused[:: max(1, len(refused) // 4)]:
        argv = _base(command, files, WRITERS[command])
        code, text = _run(capsys, [*argv, f"{option}={value}"])
        assert code == 2, (option, value, text)
        assert option in text, (option, value, text)
    assert not list(Path.cwd().glob("out*")), "nothing may be written"


@pytest.mark.parametrize(
    ("argv_tail", "option"),
    [
        (["canvas", "fill", "--seed", str(2**64)], "--seed"),
        (["canvas", "remove", "--feather", "100000"], "--feather"),
        (["canvas", "upscale", "--tile", "-8"], "--tile"),
        (["canvas", "upscale", "--tile", "8"], "--tile"),
        (["canvas", "fill", "--steps", "0"], "--steps"),
        (["canvas", "cutout", "--model", "sam-vit-b"], "--model"),
        (["canvas", "segment", "--sam-model", "lama-big"], "--sam-model"),
        (["canvas", "segment", "--grow", "-3"], "--grow"),
        (["canvas", "segment", "--point", "nan,3"], "--point"),
        (["lipsync", "--batch-size", "0"], "--batch-size"),
        (["lipsync", "--batch-size", "-1"], "--batch-size"),
        (["lipsync", "--mouth-scale", "nan"], "--mouth-scale"),
        (["lipsync", "--smoothing", "0.95"], "--smoothing"),
        (["lipsync", "--smoothing", "-0.1"], "--smoothing"),
        (["lipsync", "--max-seconds", "inf"], "--max-seconds"),
        (["live", "--model", "taesd"], "--model"),
        (["live", "--vae", "sd-vae-ft-mse"], "--vae"),
        (["live", "--strength", "0"], "--strength"),
        (["live", "--width", "100"], "--width"),
        (["headshots", "--size", "1000"], "--size"),
        (["headshots", "--batch", "0"], "--batch"),
    ],
)
def test_the_reported_values_are_refused(argv_tail, option, files, capsys):
    command = tuple(argv_tail[:2]) if argv_tail[0] == "canvas" else (argv_tail[0],)
    argv = _base(command, files, WRITERS[command]) + argv_tail[len(command) :]
    code, text = _run(capsys, argv)
    assert code == 2
    assert option in text


def test_wrong_model_lists_the_valid_ids(files, capsys):
    code, text = _run(capsys, _base(("canvas", "cutout"), files, "o.png") + ["--model", "x"])
    assert code == 2 and "rembg-u2net" in text and "sam-vit-b" not in text


def _bad_outputs(files: dict[str, Path], kind: str) -> list[str]:
    suffix = {"image": ".png", "video": ".mp4"}.get(kind, "")
    bad = [str(files["regular"] / f"x{suffix}")]  # under a regular file
    if kind == "folder":  # (a missing folder is made)
        return bad + [str(files["regular"]), str(files["image"])]
    return bad + [
        str(files["folder"].parent / "missing" / "deeper" / f"x{suffix}"),
        str(files["folder"]),  # a directory
        str(files["image"]),  # an input
        str(files["folder"] / ("x.gif" if kind == "image" else "x.png")),  # wrong extension
    ]


@pytest.mark.parametrize("command", list(WRITERS), ids=[" ".join(c) for c in WRITERS])
def test_unwritable_outputs_are_refused_before_work(command, files, capsys):
    kind = {"out.png": "image", "out.mp4": "video", "out": "folder"}[WRITERS[command]]
    before = files["image"].read_bytes()
    for output in _bad_outputs(files, kind):
        code, text = _run(capsys, _base(command, files, output))
        assert code == 2, (output, text)
        assert "--output" in text, (output, text)
        assert "not installed" not in text  # refused before the models were looked at
    assert files["image"].read_bytes() == before
    assert files["regular"].read_text() == "not a folder"
    assert not [p for p in files["folder"].parent.rglob("*") if ".part" in p.name]


def test_lipsync_output_equal_to_the_audio_is_refused(files, capsys):
    wav = files["audio"]
    before = wav.read_bytes()
    argv = ["lipsync", "--avatar", str(files["image"]), "--audio", str(wav), "-o", str(wav)]
    code, text = _run(capsys, argv)
    assert code == 2 and "--output" in text
    assert wav.read_bytes() == before


def test_output_through_a_link_to_the_input_is_refused(files, capsys, tmp_path):
    link = tmp_path / "link.png"
    link.symlink_to(files["image"])
    code, text = _run(capsys, _base(("canvas", "cutout"), files, str(link)))
    assert code == 2 and "input" in text


def test_fill_variations_outputs_are_checked_too(files, capsys, tmp_path):
    # variation 2 is written as out-2.png: that name must not be an input either
    Image.open(files["image"]).save(tmp_path / "o-2.png")
    argv = _base(("canvas", "fill"), files, str(tmp_path / "o.png"))
    argv[argv.index("--mask") + 1] = str(tmp_path / "o-2.png")
    code, text = _run(capsys, [*argv, "--variations", "2"])
    assert code == 2 and "o-2.png" in text


def test_a_file_path_alone_opens_the_window_with_it(files):
    parser = build_parser()
    argv = route([str(files["image"])], parser)
    args = parser.parse_args(argv)
    assert args.func is _gui
    assert args.paths == [files["image"]]
    assert route(["models", "list"], parser) == ["models", "list"]
    assert route([], parser) == []


def test_a_missing_file_alone_is_refused(files, capsys):
    code, text = _run(capsys, ["no-such-photo.png"])
    assert code == 2 and "no-such-photo.png" in text


def test_help_exits_zero(capsys):
    assert main(["canvas", "fill", "--help"]) == 0
    assert "--feather" in capsys.readouterr().out


def test_the_cli_keeps_library_chatter_off_the_terminal(monkeypatch):
    import os
    import warnings

    from studio.cli import quiet_libraries

    for name in ("DIFFUSERS_VERBOSITY", "TQDM_DISABLE", "TRANSFORMERS_VERBOSITY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "0")  # the user's own choice wins
    with warnings.catch_warnings(record=True) as caught:
        quiet_libraries()
        warnings.warn("a developer's note", FutureWarning, stacklevel=1)
    assert not caught
    assert os.environ["DIFFUSERS_VERBOSITY"] == "error" and os.environ["TQDM_DISABLE"] == "1"
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "0"
