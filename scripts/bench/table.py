"""``python -m scripts.bench.table OUT_DIR``: the README's speed table from one run's JSONs.

Reads ``bench_<workspace>.json`` (as ``scripts/bench_device.sh`` writes them) and prints one
Markdown row per compared job: Studio, the plain library path, the ratio (plain / Studio),
the faster path that ran and its tolerance against the reference; sections that failed
are listed with their error below the table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HEADER = "| job | Studio | plain | ratio | path | tolerance |\n|---|---|---|---|---|---|"


def _ms(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def _tolerance(tol: Any) -> str:
    if not isinstance(tol, dict) or not tol:
        return "-"
    parts = []
    for name, value in tol.items():
        if name == "mean_abs":  # max and PSNR say it; the JSON keeps the mean
            continue
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {v}" for k, v in value.items() if k != "mean_abs")
            parts.append(f"{name}: {inner}")
        else:
            parts.append(f"{name}: {value}")
    return "; ".join(parts)


def rows(workspace: str, data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Table rows and error lines for one workspace's JSON."""
    out, errors = [], []
    for name, section in data.items():
        if not isinstance(section, dict):
            continue
        if "error" in section:
            errors.append(f"- {workspace}.{name}: {section['error']}")
            continue
        if "ms_per_frame" in section and name != "img2img_plain":  # live modes, per frame
            plain = data.get("plain_ms") if name.startswith(("img2img", "compile")) else None
            ratio = round(plain / section["ms_per_frame"], 3) if plain else "-"
            path = f"{section.get('path', '-')}, warm-up {section.get('warmup_s', 0):.1f} s"
            out.append(
                f"| {workspace} {name} (per frame) | {_ms(section['ms_per_frame'])} | "
                f"{_ms(plain)} | {ratio} | {path} | {_tolerance(section.get('tolerance'))} |"
            )
        for job, numbers in section.get("jobs", {}).items():
            out.append(
                f"| {workspace} {name} {job} | {_ms(numbers.get('studio_ms'))} | "
                f"{_ms(numbers.get('plain_ms'))} | {numbers.get('ratio', '-')} | "
                f"{numbers.get('path', '-')} | {_tolerance(numbers.get('tolerance'))} |"
            )
    if "studio_ms" in data:  # live and headshots: the workspace's headline at the top level
        path = data.get("plain_path", "")
        out.append(
            f"| {workspace} | {_ms(data['studio_ms'])} | {_ms(data.get('plain_ms'))} | "
            f"{data.get('ratio', '-')} | {path or '-'} | - |"
        )
    return out, errors


def table(folder: Path) -> str:
    """The Markdown table (and failures) for every ``bench_*.json`` in ``folder``."""
    lines, errors = [HEADER], []
    for path in sorted(folder.glob("bench_*.json")):
        workspace = path.stem.removeprefix("bench_")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            errors.append(f"- {workspace}: unreadable ({exc})")
            continue
        more, failed = rows(workspace, data)
        lines += more
        errors += failed
    if errors:
        lines += ["", "Failed sections:", *errors]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(table(Path(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
