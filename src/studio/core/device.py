"""Device selection and GPU-memory helpers (torch is imported lazily)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceInfo:
    """The device jobs run on, with a warning when it is not a GPU."""

    device: str  # "cuda:0" or "cpu"
    name: str
    total_bytes: int = 0
    warning: str = ""

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")


def resolve_device(setting: str = "auto") -> DeviceInfo:
    """Pick the device for ``setting`` ("auto", "cpu", "cuda", "cuda:N"); fall back to CPU."""
    import torch

    if setting != "cpu" and torch.cuda.is_available():
        index = int(setting.split(":")[1]) if setting.startswith("cuda:") else 0
        count = torch.cuda.device_count()
        if index < count:
            props = torch.cuda.get_device_properties(index)
            return DeviceInfo(f"cuda:{index}", props.name, int(props.total_memory))
        return DeviceInfo(
            "cpu",
            "CPU",
            warning=f"Settings ask for GPU {setting}, but only {count} GPU(s) exist: running on "
            "the CPU. Choose another device in Settings.",
        )
    if setting == "cpu":
        return DeviceInfo(
            "cpu", "CPU", warning="Running on the CPU (chosen in Settings): jobs are slow."
        )
    return DeviceInfo(
        "cpu",
        "CPU",
        warning="No CUDA GPU found: running on the CPU, which is much slower.",
    )


def is_oom(exc: BaseException) -> bool:
    """True for CUDA (or host) out-of-memory errors, however torch phrased them."""
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return "out of memory" in text and ("cuda" in text or "cublas" in text or "alloc" in text)


def free_gpu_memory() -> None:
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass


def memory_stats(device: str) -> tuple[int, int]:
    """(allocated, peak allocated) bytes on a CUDA device; zeros on the CPU."""
    if not device.startswith("cuda"):
        return 0, 0
    import torch

    return int(torch.cuda.memory_allocated(device)), int(torch.cuda.max_memory_allocated(device))


def reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(device)


# Faster GPU paths whose results have not yet been checked against the reference on a GPU
# (each is equivalent on the CPU and falls back on any error, but a wrong result would not
# raise). Off unless named in STUDIO_EXPERIMENTAL (comma list, or "all"); the benchmarks turn
# them on and print their tolerance against the eager fp32 path.
EXPERIMENTAL_PATHS = ("fill-cuda-graphs", "lama-bf16")


def experimental_enabled(name: str) -> bool:
    """Whether the experimental speed path ``name`` (one of :data:`EXPERIMENTAL_PATHS`) is on."""
    import os

    wanted = {p.strip() for p in os.environ.get("STUDIO_EXPERIMENTAL", "").split(",")}
    return name in wanted or "all" in wanted
