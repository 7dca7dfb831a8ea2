"""The one benchmark harness: device choice, synchronised timing, peak memory, JSON out.

Every workspace module (``canvas``, ``headshots``, ``lipsync``, ``live``) gets a :class:`Bench`,
installs real-size models (random weights; tiny ones with ``--smoke``) into a temporary model
store, and times the production ``run()`` functions through a :class:`RunContext`, as the app
does. A failing section is reported in the JSON (``error``) and the others still run.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def rss_mb() -> float:
    """The process's resident memory now (Linux ``/proc``; the peak elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except OSError:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclass
class Bench:
    """What a workspace benchmark needs: the device, the sizes, and where numbers go."""

    device: str
    smoke: bool
    repeat: int
    warmup: int = 1
    only: set[str] = field(default_factory=set)
    results: dict[str, Any] = field(default_factory=dict)
    partial: Path | None = None  # results so far are written here after each section

    @property
    def size(self) -> str:
        """Which model shapes to build: ``"tiny"`` for ``--smoke``, else ``"real"``."""
        return "tiny" if self.smoke else "real"

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")

    def sync(self) -> None:
        """Wait for queued GPU work, so wall-clock timings measure it."""
        if self.is_cuda:
            import torch

            torch.cuda.synchronize()

    def clock(self, fn: Callable[[], Any]) -> float:
        """Seconds for one synchronised call."""
        self.sync()
        t0 = time.perf_counter()
        fn()
        self.sync()
        return time.perf_counter() - t0

    def time(
        self, fn: Callable[[], Any], repeat: int | None = None, warmup: int | None = None
    ) -> dict[str, float]:
        """``warmup`` untimed calls, then ``repeat`` timed ones: median and min in ms."""
        for _ in range(self.warmup if warmup is None else warmup):
            fn()
        times = [self.clock(fn) * 1000 for _ in range(repeat or self.repeat)]
        return {
            "median_ms": round(statistics.median(times), 3),
            "min_ms": round(min(times), 3),
            "runs": len(times),
        }

    def wanted(self, name: str) -> bool:
        return not self.only or name in self.only

    def section(self, name: str, fn: Callable[[], dict[str, Any]]) -> None:
        """Run one named measurement (if ``--only`` allows it) with its peak memory; an error
        is recorded under the name instead of stopping the run."""
        if not self.wanted(name):
            return
        print(f"bench: {name}", file=sys.stderr, flush=True)
        torch = _torch_if_cuda(self.is_cuda)
        if torch is not None:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        try:
            out = fn()
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
            out = {
                "error": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(limit=-4),
            }
        out["section_s"] = round(time.perf_counter() - t0, 2)
        if torch is not None:
            out["peak_vram_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 2)
            torch.cuda.empty_cache()
        out["rss_mb"] = rss_mb()
        self.results[name] = out
        self.save_partial()

    def save_partial(self) -> None:
        """Results so far to :attr:`partial` (a run killed by a time limit keeps them)."""
        if self.partial is None:
            return
        import json

        tmp = self.partial.with_name(self.partial.name + ".part")
        tmp.write_text(json.dumps(round_floats(self.results), indent=1, default=str) + "\n")
        tmp.replace(self.partial)

    def context(self, store_root: Path) -> Any:
        """A RunContext over a fresh model store with the real catalogue (as the app builds)."""
        from studio.models.catalogue import load_catalogue
        from studio.models.store import ModelStore
        from studio.pipelines.context import RunContext
        from studio.services.model_cache import ModelCache

        store = ModelStore(store_root, load_catalogue())
        return RunContext(store=store, cache=ModelCache(), device=self.device)

    def header(self) -> dict[str, Any]:
        import torch

        return {
            "device": torch.cuda.get_device_name(self.device) if self.is_cuda else "cpu",
            "torch": torch.__version__,
            "smoke": self.smoke,
            "repeat": self.repeat,
        }


def _torch_if_cuda(is_cuda: bool) -> Any:
    if not is_cuda:
        return None
    import torch

    return torch


def make_bench(smoke: bool, repeat: int | None, only: str = "", device: str = "") -> Bench:
    """CUDA when present (real sizes); ``--smoke`` forces the CPU with one torch thread."""
    import torch

    if not device:
        device = "cuda:0" if torch.cuda.is_available() and not smoke else "cpu"
    if smoke:
        torch.set_num_threads(1)  # tiny models on a shared CI box: threads only add contention
    return Bench(
        device=device,
        smoke=smoke,
        repeat=repeat or (1 if smoke else 10),
        warmup=1,
        only={s.strip() for s in only.split(",") if s.strip()},
    )


def round_floats(value: Any, digits: int = 4) -> Any:
    """Floats rounded for a readable JSON (nested dicts and lists included)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [round_floats(v, digits) for v in value]
    return value
