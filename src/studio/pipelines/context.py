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
from studio.models.store import ModelStore

T = TypeVar("T")


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
        self.progress(f"Loading {key}", 0, 1)
        model = self.cache.get(key, loader, size_bytes)
        self.progress(f"Loading {key}", 1, 1)
        return model  # type: ignore[no-any-return]

    def check(self) -> None:
        """Cancellation (and interactive-job) point between steps."""
        self.cancel.check()
