"""What a pipeline run gets from its caller (the GPU service or the CLI).

A pipeline is a function ``run(request, ctx) -> result``. ``ctx`` bundles the progress sink,
the cancel token, the model store, the warm-model cache, the device and the low-memory flag
(set when the service retries after running out of GPU memory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from studio.core.progress import CancelToken, Progress, null_progress
from studio.models.catalogue import Catalogue
from studio.models.store import ModelStore

T = TypeVar("T")


def readable_model_name(key: str, catalogue: Catalogue) -> str:
    """What a progress line calls the model cached under ``key``: the catalogue names of the
    model ids in it (``"lama-big:cpu"`` -> ``"LaMa (big-lama) object removal"``), else the
    key without its device and dtype parts."""
    parts = [p for p in key.split(":") if p and not _is_device_or_dtype(p)]
    for part in parts:
        ids = [i for i in part.split("+") if i in catalogue]
        if ids:
            return " + ".join(catalogue.get(i).name for i in ids)
    return parts[-1] if parts else key


def _is_device_or_dtype(part: str) -> bool:
    return part in ("cpu", "cuda", "mps") or part.isdigit() or part.startswith("torch.")


class ModelCacheLike(Protocol):
    def get(self, key: str, loader: Callable[[], Any], size_bytes: int = 0) -> Any: ...

    def __contains__(self, key: object) -> bool: ...


@dataclass
class RunContext:
    store: ModelStore
    cache: ModelCacheLike
    device: str = "cpu"
    low_memory: bool = False
    progress: Progress = null_progress
    cancel: CancelToken = field(default_factory=CancelToken)

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")

    @property
    def dtype(self) -> Any:
        """fp16 on CUDA, fp32 on the CPU (fp16 matmuls are slow or missing there)."""
        import torch

        return torch.float16 if self.is_cuda else torch.float32

    def model(self, key: str, loader: Callable[[], T], size_bytes: int = 0) -> T:
        """A warm model from the cache, loading it (reported as a stage) when absent."""
        if key in self.cache:
            return self.cache.get(key, loader, size_bytes)  # type: ignore[no-any-return]
        stage = f"Loading {readable_model_name(key, self.store.catalogue)}"
        self.progress(stage, 0, 1)
        model = self.cache.get(key, loader, size_bytes)
        self.progress(stage, 1, 1)
        return model  # type: ignore[no-any-return]

    def check(self) -> None:
        """Cancellation (and interactive-job) point between steps."""
        self.cancel.check()
