"""argparse ``type=`` functions shared by every subcommand: values are checked at the edge.

Each returns a converter that raises :class:`argparse.ArgumentTypeError`, so argparse prints
``argument --seed: ...`` (naming the option) and exits with code 2 before anything loads.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from studio.core.errors import BadInput

SEED_MAX = 2**32 - 1  # what every generator here accepts, with room for seed + i


def bounded_int(lo: int, hi: int, *, multiple_of: int = 1) -> Callable[[str], int]:
    """An integer in ``[lo, hi]`` (and a multiple of ``multiple_of``)."""

    def convert(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if not lo <= value <= hi or value % multiple_of:
            what = f"a multiple of {multiple_of} " if multiple_of > 1 else "a whole number "
            raise argparse.ArgumentTypeError(f"must be {what}from {lo} to {hi}, got {text}")
        return value

    convert.__name__ = "int"
    return convert


def bounded_float(
    lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
) -> Callable[[str], float]:
    """A finite number in the range ``lo..hi`` (ends excluded where ``*_open``)."""
    left, right = "(" if lo_open else "[", ")" if hi_open else "]"

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
        ok = math.isfinite(value)
        ok = ok and (value > lo if lo_open else value >= lo)
        ok = ok and (value < hi if hi_open else value <= hi)
        if not ok:
            raise argparse.ArgumentTypeError(
                f"must be a number in {left}{lo:g}, {hi:g}{right}, got {text}"
            )
        return value

    convert.__name__ = "float"
    return convert


seed = bounded_int(0, SEED_MAX)


def finite_floats(count: int, example: str) -> Callable[[str], tuple[float, ...]]:
    """``count`` comma-separated finite, non-negative numbers, e.g. ``x,y``."""

    def convert(text: str) -> tuple[float, ...]:
        try:
            values = tuple(float(v) for v in text.split(","))
        except ValueError:
            values = ()
        if len(values) != count or not all(math.isfinite(v) and v >= 0 for v in values):
            raise argparse.ArgumentTypeError(
                f"expected {example} (numbers, not negative), got '{text}'"
            )
        return values

    convert.__name__ = example
    return convert


def input_file(text: str) -> Path:
    """An existing regular file (checked here so nothing loads for a typo)."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"the file '{text}' does not exist")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"'{text}' is not a file")
    return path


def model_id(*tasks: str, extra: tuple[str, ...] = (), prefix: str = "") -> Callable[[str], str]:
    """A catalogue id whose task is one of ``tasks`` (and which starts with ``prefix``), or
    one of the ``extra`` words; the message lists the valid ids."""

    def convert(text: str) -> str:
        from studio.models.catalogue import load_catalogue

        valid = [
            e.id for e in load_catalogue() if e.task in tasks and e.id.startswith(prefix)
        ] + list(extra)
        if text not in valid:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not a model for this ({'/'.join(tasks)}); use one of: "
                + ", ".join(valid)
            )
        return text

    convert.__name__ = "model id"
    return convert


def check_output_option(
    option: str,
    path: str | Path,
    *,
    inputs: tuple[str | Path | None, ...] = (),
    extensions: tuple[str, ...] | None = None,
    folder: bool = False,
) -> Path:
    """Check an output path before any work; a problem raises BadInput naming ``option``."""
    from studio.core.outputs import check_output, check_output_folder

    try:
        if folder:
            return check_output_folder(path, inputs=inputs)
        return check_output(path, inputs=inputs, extensions=extensions)
    except BadInput as exc:
        raise BadInput(f"{option}: {exc.user_message}", exc.detail) from None
