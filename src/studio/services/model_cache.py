"""Warm models kept between jobs, evicted least-recently-used under a memory budget.

Plain Python (no Qt), so the CLI uses the same cache. Sizes are what the loader reports or
what torch says the model's parameters and buffers take.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studio.core.device import free_gpu_memory

log = logging.getLogger(__name__)


@dataclass
class CachedModel:
    key: str
    model: Any
    size_bytes: int


def model_size_bytes(model: Any) -> int:
    """Bytes of a torch module's (or diffusers pipeline's) parameters and buffers."""
    modules = []
    if hasattr(model, "components"):  # diffusers pipeline
        modules = [m for m in model.components.values() if hasattr(m, "parameters")]
    elif hasattr(model, "parameters"):
        modules = [model]
    total = 0
    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            total += tensor.numel() * tensor.element_size()
    return total


class ModelCache:
    """LRU cache of loaded models under ``budget_bytes`` (0 means unlimited).

    A model larger than the whole budget is still loaded (after evicting everything else):
    refusing it would make the job impossible, and the OOM path handles a real shortage.
    """

    def __init__(self, budget_bytes: int = 0) -> None:
        self.budget_bytes = budget_bytes
        self._items: OrderedDict[str, CachedModel] = OrderedDict()
        self._lock = threading.RLock()
        self.evictions: list[str] = []

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    @property
    def used_bytes(self) -> int:
        with self._lock:
            return sum(item.size_bytes for item in self._items.values())

    def keys(self) -> list[str]:
        """Keys from least to most recently used."""
        with self._lock:
            return list(self._items)

    def get(self, key: str, loader: Callable[[], Any], size_bytes: int = 0) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key].model
        if size_bytes:
            self._make_room(size_bytes)  # free memory before the load, not after
        model = loader()
        size = size_bytes or model_size_bytes(model)
        with self._lock:
            self._make_room(size)
            self._items[key] = CachedModel(key, model, size)
        log.info("model %s loaded (%.1f MB); cache holds %s", key, size / 1e6, self.keys())
        return model

    def evict(self, key: str) -> None:
        with self._lock:
            item = self._items.pop(key, None)
        if item is not None:
            self.evictions.append(key)
            log.info("model %s evicted", key)
            del item
            free_gpu_memory()

    def clear(self) -> None:
        with self._lock:
            keys = list(self._items)
            self._items.clear()
        self.evictions.extend(keys)
        free_gpu_memory()

    def fit(self) -> None:
        """Evict until the models held fit the (possibly lowered) budget."""
        with self._lock:
            self._make_room(0)

    def _make_room(self, incoming: int) -> None:
        if self.budget_bytes <= 0:
            return
        while self._items and self.used_bytes + incoming > self.budget_bytes:
            oldest = next(iter(self._items))
            self.evict(oldest)
