"""The NVIDIA driver, the CUDA version it supports, and the PyTorch build that matches.

``nvidia-smi`` prints ``Driver Version: 570.86.15   CUDA Version: 12.8`` in its header: that
CUDA version is the newest runtime the driver can run. PyTorch publishes one wheel index per
CUDA version (https://download.pytorch.org/whl/cu126 ...); its wheels carry their own CUDA
libraries, so only the driver has to be new enough.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

TORCH_INDEX = "https://download.pytorch.org/whl"

# PyTorch's CUDA builds, newest first: (index tag, CUDA version the wheels are built with).
TORCH_BUILDS: list[tuple[str, tuple[int, int]]] = [
    ("cu130", (13, 0)),
    ("cu128", (12, 8)),
    ("cu126", (12, 6)),
]
# When the header shows no CUDA version (very old nvidia-smi): the CUDA version each driver
# branch supports (NVIDIA's CUDA toolkit release notes, table 3; same numbers on Windows).
DRIVER_CUDA: list[tuple[int, tuple[int, int]]] = [
    (580, (13, 0)),
    (570, (12, 8)),
    (560, (12, 6)),
    (550, (12, 4)),
    (535, (12, 2)),
    (525, (12, 0)),
    (520, (11, 8)),
]
# CUDA 12.x wheels run on any 12.x driver (minor version compatibility), from driver 525.
MIN_CUDA = (12, 0)


@dataclass(frozen=True)
class Gpu:
    """What ``nvidia-smi`` says about the first card."""

    name: str
    driver: str
    cuda: tuple[int, int] | None  # newest CUDA the driver supports
    memory_mib: int | None = None
    compute_cap: tuple[int, int] | None = None


@dataclass(frozen=True)
class TorchChoice:
    """Which PyTorch build to install, and why (shown to the user and logged)."""

    tag: str  # "cpu" or a CUDA index tag such as "cu128"
    index_url: str
    reason: str

    @property
    def cuda(self) -> bool:
        return self.tag != "cpu"


def _version(text: str) -> tuple[int, int] | None:
    match = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_nvidia_smi(header: str, query: str = "") -> Gpu | None:
    """``header``: plain ``nvidia-smi`` output; ``query``: ``nvidia-smi --query-gpu=name,
    driver_version,memory.total,compute_cap --format=csv,noheader,nounits`` (may be empty or
    an error when the driver is too old for a field). None when no NVIDIA GPU is present."""
    driver = re.search(r"Driver Version:\s*([\d.]+)", header or "")
    cuda = re.search(r"CUDA Version:\s*([\d.]+)", header or "")
    first = next((ln for ln in (query or "").splitlines() if ln.count(",") >= 2), "")
    fields = [f.strip() for f in first.split(",")] if first else []
    if not driver and len(fields) < 2:
        return None
    driver_text = driver.group(1) if driver else fields[1]
    name = fields[0] if fields else _header_name(header)
    memory = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else None
    cap = _version(fields[3]) if len(fields) > 3 else None
    supported = _version(cuda.group(1)) if cuda else cuda_for_driver(driver_text)
    return Gpu(name, driver_text, supported, memory, cap)


def _header_name(header: str) -> str:
    match = re.search(r"\|\s+\d+\s+(NVIDIA [^|]*?|Tesla [^|]*?|Quadro [^|]*?)\s{2,}", header)
    return match.group(1).strip() if match else "NVIDIA GPU"


def cuda_for_driver(driver: str) -> tuple[int, int] | None:
    """The CUDA version a driver branch supports (``"570.86.15"`` -> (12, 8))."""
    major = _version(driver)
    if major is None:
        return None
    for branch, cuda in DRIVER_CUDA:
        if major[0] >= branch:
            return cuda
    return None


def choose_torch(gpu: Gpu | None, index_base: str = TORCH_INDEX) -> TorchChoice:
    """The PyTorch build for this machine: the newest CUDA build the driver can run (and the
    card's architecture is built for), else the CPU build, with the reason in words."""
    cpu = f"{index_base}/cpu"
    if gpu is None:
        return TorchChoice(
            "cpu",
            cpu,
            "No NVIDIA GPU found: installing the CPU build of PyTorch "
            "(every job runs, slowly; with an NVIDIA card, install its driver and run this again).",
        )
    if gpu.cuda is None or gpu.cuda < MIN_CUDA:
        return TorchChoice(
            "cpu",
            cpu,
            f"The NVIDIA driver {gpu.driver} is too old for current PyTorch "
            "(CUDA 12 needs driver 525 or newer; 570 or newer is best): installing the CPU "
            "build. Update the driver from nvidia.com and run this installer again.",
        )
    fits = [(t, c) for t, c in TORCH_BUILDS if _builds_for(gpu.compute_cap, c)]
    full = [(t, c) for t, c in fits if c <= gpu.cuda]
    # CUDA 12.x wheels also run on an older 12.x driver (minor-version compatibility)
    minor = [(t, c) for t, c in fits if c[0] == gpu.cuda[0]][-1:]
    if full or minor:
        tag, built_for = (full or minor)[0]
        note = (
            ""
            if full
            else (" through CUDA minor-version compatibility; a newer driver is recommended")
        )
        return TorchChoice(
            tag,
            f"{index_base}/{tag}",
            f"{gpu.name}, driver {gpu.driver} (CUDA {gpu.cuda[0]}.{gpu.cuda[1]}): installing "
            f"the PyTorch build for CUDA {built_for[0]}.{built_for[1]} ({tag}){note}.",
        )
    return TorchChoice(
        "cpu",
        cpu,
        f"No PyTorch CUDA build supports {gpu.name} with driver {gpu.driver}: "
        "installing the CPU build. Updating the driver usually fixes this.",
    )


def _builds_for(cap: tuple[int, int] | None, cuda: tuple[int, int]) -> bool:
    """Whether a CUDA build has kernels for a card of compute capability ``cap``."""
    if cap is None:
        return True
    if cap < (7, 5) and cuda >= (13, 0):
        return False  # CUDA 13 builds dropped Maxwell, Pascal and Volta cards
    return not (cap >= (10, 0) and cuda < (12, 8))  # Blackwell (RTX 50xx) needs 12.8+


def detect_gpu() -> Gpu | None:
    """Run ``nvidia-smi`` (None when it is missing or finds no card)."""
    try:
        header = subprocess.run(
            ["nvidia-smi"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if header.returncode != 0:
        return None
    fields = "name,driver_version,memory.total,compute_cap"
    query = ""
    for wanted in (fields, fields.rsplit(",", 1)[0]):  # old drivers lack compute_cap
        try:
            out = subprocess.run(
                ["nvidia-smi", f"--query-gpu={wanted}", "--format=csv,noheader,nounits"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            break
        if out.returncode == 0:
            query = out.stdout
            break
    return parse_nvidia_smi(header.stdout, query)
