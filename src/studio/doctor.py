"""``studio doctor``: what this machine offers Studio (Qt-free)."""

from __future__ import annotations

import platform
import sys
from typing import Any

from studio.core.errors import format_size
from studio.models.store import ModelStore


def collect(store: ModelStore) -> dict[str, Any]:
    """Python, torch, CUDA, GPU, VRAM, driver and installed models, as a dict."""
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "models_dir": str(store.root),
    }
    try:
        import torch

        report["torch"] = torch.__version__
        report["cuda_available"] = torch.cuda.is_available()
        report["cuda_version"] = torch.version.cuda
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            report["gpu"] = props.name
            report["vram_bytes"] = int(props.total_memory)
            report["driver"] = _driver_version()
    except Exception as exc:  # a broken torch install is exactly what doctor must show
        report["torch"] = f"not usable: {exc}"
        report["cuda_available"] = False
    if not report.get("cuda_available"):
        seen = _nvidia_smi_gpus()
        if seen:  # a card torch cannot use: CPU-only wheel or a driver/CUDA mismatch
            report["gpu_seen_by_driver"] = seen
    report["plans"] = _plans(report)
    report["models"] = [
        {
            "id": e.id,
            "installed": store.is_installed(e.id),
            "damaged": store.marker_damaged(e.id),  # garbled install marker: download again
            "size_bytes": e.size_bytes,
        }
        for e in store.catalogue
    ]
    return report


# The job each workspace runs most (its plan is what a user waits on).
WORKSPACE_JOBS = {
    "Canvas fill": "canvas.fill",
    "Canvas select": "canvas.segment",
    "Canvas remove": "canvas.remove",
    "Canvas upscale": "canvas.upscale",
    "Headshots": "headshots.pack",
    "Lip sync": "lipsync.render",
    "Live": "live.stream",
}


def workspace_plans(card: Any, budget_bytes: int = 0, override: str = "auto") -> dict[str, str]:
    """The memory plan label each workspace's main job gets on ``card`` (a
    :class:`~studio.pipelines.memory_plan.CardMemory`; None = the CPU) under the VRAM budget
    and plan settings (see :mod:`studio.pipelines.memory_plan`)."""
    from studio.pipelines.memory_plan import choose_plan

    return {
        name: choose_plan(kind, card, budget_bytes, override).label
        for name, kind in WORKSPACE_JOBS.items()
    }


def _plans(report: dict[str, Any]) -> dict[str, str]:
    from studio.core.settings import Settings
    from studio.pipelines.memory_plan import AUTO, card_memory

    settings = Settings.load()
    card = None
    if report.get("cuda_available"):
        try:
            card = card_memory("cuda:0")
        except Exception:  # a broken driver is reported above; the plans then say CPU
            card = None
    override = str(getattr(settings, "plan_override", AUTO) or AUTO)
    return workspace_plans(card, int(settings.vram_budget_gb * 1e9), override)


def _nvidia_smi_gpus() -> str:
    try:
        import subprocess

        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _driver_version() -> str:
    try:
        import subprocess

        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"Python        {report['python']} ({report['platform']})",
        f"torch         {report.get('torch')}",
        f"CUDA          {'yes' if report.get('cuda_available') else 'no'}"
        + (f" (torch built for CUDA {v})" if (v := report.get("cuda_version")) else ""),
    ]
    if report.get("gpu"):
        lines.append(f"GPU           {report['gpu']}, {format_size(report['vram_bytes'])} VRAM")
        lines.append(f"Driver        {report.get('driver', 'unknown')}")
    elif report.get("gpu_seen_by_driver"):
        lines.append(
            f"GPU           {report['gpu_seen_by_driver']} is present, but this torch cannot "
            "use it (CPU-only build or driver too old): install the CUDA build of torch"
        )
    else:
        lines.append("GPU           none found: jobs will run on the CPU (slow)")
    if report.get("plans"):
        lines.append("Memory plans  (what each workspace runs as on this card)")
        for name, label in report["plans"].items():
            lines.append(f"  {name:<15} {label}")
    lines.append(f"Models dir    {report['models_dir']}")
    installed = [m for m in report["models"] if m["installed"]]
    lines.append(f"Models        {len(installed)} of {len(report['models'])} installed")
    for m in report["models"]:
        mark = "x" if m["installed"] else ("!" if m.get("damaged") else " ")
        note = f"  damaged: download again (studio models download {m['id']} --force)"
        lines.append(
            f"  [{mark}] {m['id']:<28} {format_size(m['size_bytes'])}"
            + (note if m.get("damaged") else "")
        )
    return "\n".join(lines)
