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
