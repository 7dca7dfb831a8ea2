"""``python -m scripts.bench.live_warm STORE FRAMES``: the live ``compile`` stream in a new
process over an existing model store, on the compile cache the environment names.

:mod:`scripts.bench.live` runs it after ``img2img_compile`` filled the cache: the
``warmup_s`` it prints (one JSON line) is a session start on a machine that compiled before.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from scripts.bench.harness import make_bench
    from scripts.bench.live import stream

    store_root, frames = Path(argv[0]), int(argv[1])
    bench = make_bench(smoke=False, repeat=None)
    ctx = bench.context(store_root)
    out = stream(bench, ctx, "compile", True, frames)
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
