#!/usr/bin/env python
"""Take the README's screenshots: every workspace in the dark and light themes at 1366x768.

    python scripts/screenshots.py                 # into docs/screenshots/
    python scripts/screenshots.py --out DIR       # somewhere else

The pictures come from the test suite (tests/ui/test_screenshots.py), which opens the real
main window offscreen and checks each grab; this runs that test with
``STUDIO_SCREENSHOT_DIR`` set, so it writes ``<workspace>-<theme>.png`` there.
Extra arguments after ``--`` go to pytest.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST = "tests/ui/test_screenshots.py::test_every_workspace_in_both_themes"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    env = {
        **os.environ,
        "STUDIO_SCREENSHOT_DIR": str(out),
        "QT_QPA_PLATFORM": "offscreen",  # the same pixels on every machine, no window shown
        "HF_HUB_OFFLINE": "1",
        "NUMBA_DISABLE_JIT": "1",
        # this checkout's code, even when another copy is installed in the environment
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p
        ),
    }
    env.pop("QT_SCALE_FACTOR", None)  # README pictures at 100 %
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST]
    code = subprocess.call([*command, *args.pytest_args], cwd=REPO, env=env)
    if code == 0:
        print(f"screenshots in {out}:")
        for path in sorted(out.glob("*.png")):
            print(f"  {path.name}")
    return code


if __name__ == "__main__":
    sys.exit(main())
