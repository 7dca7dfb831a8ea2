"""Warm models kept between jobs, evicted least-recently-used under memory budgets.

Plain Python (no Qt), so the CLI uses the same cache. Two pools, each with its own budget:

- the device pool: models with tensors on the GPU, and objects nothing in them can be measured
  (an ONNX session, dlib), counted at the loader's estimate; ``budget_bytes`` (the VRAM
  budget; 0 = unlimited);
- the host pool: models measured entirely in CPU memory (everything on a CPU-only machine,
  SAM image embeddings); ``host_budget_bytes`` (default: half the RAM; 0 = unlimited).

Sizes are measured after loading: the bytes of every torch tensor (parameters, buffers, cached
features) and NumPy array reachable from the loaded object through its attributes, lists and
dicts, each storage counted once. Models a running or paused job uses are pinned
(:meth:`ModelCache.hold`) and never evicted from under it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import types
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from studio.core.device import free_gpu_memory

log = logging.getLogger(__name__)
HOST_BUDGET_FRACTION = 0.5
_MAX_DEPTH = 6  # attribute hops from the loaded object; models nest far less deep
_MAX_NODES = 50_000  # a bound on the walk, whatever the object graph looks like
_LEAVES = (str, bytes, bytearray, int, float, complex, bool, type(None), type, types.ModuleType)
_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)
_EVICTION_LOG = 100


@dataclass
class CachedModel:
    key: str
    model: Any
    size_bytes: int
    on_device: bool = True  # counted in the device pool (else the host pool)


def total_ram_bytes() -> int:
    """Physical memory of this machine; 0 when it cannot be told."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:  # psutil missing or unsupported: no host limit
        return 0


def measure(model: Any) -> tuple[int, bool]:
    """(bytes of the tensors and arrays reachable from ``model``, whether any is on a GPU)."""
    torch = sys.modules.get("torch")  # not imported: no tensors exist to measure
    numpy = sys.modules.get("numpy")
    seen: set[int] = set()
    storages: set[tuple[str, int]] = set()
    total, on_device, nodes = 0, False, 0
    stack: list[tuple[Any, int]] = [(model, 0)]

    def count(tensor: Any) -> None:
        nonlocal total, on_device
        try:
            storage = tensor.untyped_storage()
            key, size = (str(tensor.device), storage.data_ptr()), storage.nbytes()
        except Exception:  # meta or exotic tensors: no storage to share
            key, size = ("?", id(tensor)), tensor.numel() * tensor.element_size()
        if key in storages:
            return
        storages.add(key)
        total += size
        on_device = on_device or tensor.device.type != "cpu"

    while stack and nodes < _MAX_NODES:
        obj, depth = stack.pop()
        if id(obj) in seen or isinstance(obj, _LEAVES + _CALLABLES):
            continue
        seen.add(id(obj))
        nodes += 1
        if torch is not None and isinstance(obj, torch.Tensor):
            count(obj)
        elif torch is not None and isinstance(obj, torch.nn.Module):
            for tensor in list(obj.parameters()) + list(obj.buffers()):
                count(tensor)
        elif numpy is not None and isinstance(obj, numpy.ndarray):
            root = obj
            while isinstance(root.base, numpy.ndarray):  # views share their base's bytes
                root = root.base
            if root is obj or id(root) not in seen:
                seen.add(id(root))
                total += root.nbytes
        elif isinstance(obj, ModelCache) or depth >= _MAX_DEPTH:
            continue  # a model holding the cache must not count every other model
        elif isinstance(obj, dict):
            stack.extend((v, depth + 1) for v in obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend((v, depth + 1) for v in obj)
        elif hasattr(obj, "__dict__"):
            stack.extend((v, depth + 1) for v in vars(obj).values())
    return total, on_device


def model_size_bytes(model: Any) -> int:
    """Bytes of the tensors (and arrays) a loaded model holds; see :func:`measure`."""
    return measure(model)[0]


def _release(evicted: list[CachedModel]) -> None:
    """Drop the evicted models; return GPU memory to the driver only when one was there.

    Host memory is freed by reference counting: a full ``gc.collect()`` per evicted image
    embedding would cost more than the embedding.
    """
    on_device = any(item.on_device for item in evicted)
    evicted.clear()
    if on_device and "torch" in sys.modules:  # without torch there is no GPU memory to free
        free_gpu_memory()


class _Hold:
    """The keys one job has used, pinned until the job ends (or :meth:`release`)."""

    def __init__(self, cache: ModelCache) -> None:
        self._cache = cache
        self.keys: set[str] = set()

    def add(self, key: str) -> None:
        if key not in self.keys:
            self.keys.add(key)
            self._cache._pins[key] += 1

    def release(self) -> None:
        with self._cache._lock:
            for key in self.keys:
                self._cache._pins[key] -= 1
                if self._cache._pins[key] <= 0:
                    del self._cache._pins[key]
            self.keys.clear()


class ModelCache:
    """LRU cache of loaded models under a device budget and a host budget (0 = unlimited).

    A model larger than its whole budget is still loaded (after evicting everything else
    that may go): refusing it would make the job impossible, and the OOM path handles a real
    shortage.
    """

    def __init__(self, budget_bytes: int = 0, *, host_budget_bytes: int | None = None) -> None:
        self.budget_bytes = budget_bytes
        self.host_budget_bytes = (
            int(total_ram_bytes() * HOST_BUDGET_FRACTION)
            if host_budget_bytes is None
            else host_budget_bytes
        )
        self._items: OrderedDict[str, CachedModel] = OrderedDict()
        self._pins: Counter[str] = Counter()
        self._holds = threading.local()  # per thread: the stack of open holds (nested jobs)
        self._lock = threading.RLock()
        self.evictions: list[str] = []  # the most recent ones, for logs and tests

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    @property
    def used_bytes(self) -> int:
        """Bytes of every model held, both pools."""
        with self._lock:
            return sum(item.size_bytes for item in self._items.values())

    @property
    def device_bytes(self) -> int:
        return self._pool_bytes(on_device=True)

    @property
    def host_bytes(self) -> int:
        return self._pool_bytes(on_device=False)

    def keys(self) -> list[str]:
        """Keys from least to most recently used."""
        with self._lock:
            return list(self._items)

    def pinned(self) -> set[str]:
        with self._lock:
            return set(self._pins)

    @contextlib.contextmanager
    def hold(self) -> Iterator[_Hold]:
        """Pin every model fetched on this thread until the block ends (one job's run).

        Holds nest: a job run between the steps of another opens its own, and the outer job's
        models stay pinned meanwhile.
        """
        stack = self._hold_stack()
        held = _Hold(self)
        stack.append(held)
        try:
            yield held
        finally:
            stack.remove(held)
            held.release()
            self.fit()  # what was kept over budget for the job may go now

    def get(self, key: str, loader: Callable[[], Any], size_bytes: int = 0) -> Any:
        """The model under ``key``, loading it with ``loader`` when absent.

        ``size_bytes`` is the catalogue's estimate: it makes room before the load and is the
        size counted only when nothing in the loaded object can be measured.
        """
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                self._pin(key)
                return item.model
        if size_bytes:
            self._make_room(True, size_bytes)  # free memory before the load, not after
        model = loader()
        measured, on_device = measure(model)
        size = measured or size_bytes
        with self._lock:
            self._items[key] = CachedModel(key, model, size, on_device or not measured)
            self._pin(key)
        self._make_room(True, 0, keep=key)
        self._make_room(False, 0, keep=key)
        log.info("model %s loaded (%.1f MB); cache holds %s", key, size / 1e6, self.keys())
        return model

    def evict(self, key: str) -> bool:
        """Drop ``key`` unless a running job holds it; True when it went."""
        with self._lock:
            if key in self._pins or key not in self._items:
                return False
            evicted = [self._items.pop(key)]
            self._note_eviction([key])
        log.info("model %s evicted", key)
        _release(evicted)
        return True

    def clear(self) -> None:
        """Drop every model no running job holds."""
        with self._lock:
            keys = [k for k in self._items if k not in self._pins]
            evicted = [self._items.pop(key) for key in keys]
            self._note_eviction(keys)
        _release(evicted)

    def fit(self) -> None:
        """Evict until the models held fit the (possibly lowered) budgets."""
        self._make_room(True, 0)
        self._make_room(False, 0)

    # ---- internals ---------------------------------------------------------------------
    def _hold_stack(self) -> list[_Hold]:
        if not hasattr(self._holds, "stack"):
            self._holds.stack = []
        return self._holds.stack  # type: ignore[no-any-return]

    def _pin(self, key: str) -> None:
        stack = self._hold_stack()
        if stack:
            stack[-1].add(key)

    def _pool_bytes(self, on_device: bool) -> int:
        with self._lock:
            return sum(i.size_bytes for i in self._items.values() if i.on_device == on_device)

    def _make_room(self, on_device: bool, incoming: int, keep: str = "") -> None:
        budget = self.budget_bytes if on_device else self.host_budget_bytes
        if budget <= 0:
            return
        evicted: list[CachedModel] = []
        with self._lock:
            used = self._pool_bytes(on_device)
            for key in list(self._items):  # least recently used first
                if used + incoming <= budget:
                    break
                if self._items[key].on_device != on_device or key in self._pins or key == keep:
                    continue
                evicted.append(self._items.pop(key))
                used -= evicted[-1].size_bytes
            keys = [i.key for i in evicted]
            self._note_eviction(keys)
        if evicted:
            log.info("models evicted: %s", keys)
            _release(evicted)

    def _note_eviction(self, keys: list[str]) -> None:
        self.evictions.extend(keys)
        del self.evictions[:-_EVICTION_LOG]
