"""Memory soak: many SAM clicks and removals through the real :class:`InferenceService`.

A session as a user makes it, on one image size: four clicks on the current image (interactive
jobs, keyed by its revision like the canvas does), then a removal whose result becomes the
next revision; repeated until ``--jobs`` jobs (1,000; 30 with ``--smoke``) have run. Only
QtCore runs (a ``QCoreApplication``, no window). Tiny SAM on the CPU with ``--smoke`` (LaMa
is always full size), SAM ViT-H and LaMa on a GPU.

Prints RSS (and CUDA allocated memory) at start (service ready, no model loaded), after the
warm-up (the first cycles: models loaded) and at the end, samples every 100 jobs, and
``growth_rss_mb_per_100_jobs`` (end minus warm-up, per 100 jobs after the warm-up), and the
reference counts of ``True`` and ``None`` (they must not fall). Not a timed test: a flat
session has a growth near 0.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scripts.bench.harness import rss_mb
from scripts.bench.models import install

CLICKS_PER_REMOVAL = 4
WARMUP_CYCLES = 2


def memory(device: str) -> dict[str, Any]:
    gc.collect()
    out = {"rss_mb": rss_mb()}
    # References to True and None: constant in a healthy session. (PySide6 6.12 on Python
    # 3.11 drops one per Signal.emit() / processEvents(); at zero the interpreter aborts.)
    out["refs_true"], out["refs_none"] = sys.getrefcount(True), sys.getrefcount(None)
    if device.startswith("cuda"):
        import torch

        out["cuda_allocated_mb"] = round(torch.cuda.memory_allocated(device) / 2**20, 1)
    return out


class Session:
    """Submits the jobs one after another from the Qt main thread, as the canvas does: the
    next job goes in when the service reports the previous one finished. The whole session
    runs inside one ``app.exec()`` (no ``processEvents()`` polling from Python)."""

    def __init__(
        self, app: Any, service: Any, image: np.ndarray, model: str, total: int, device: str
    ) -> None:
        self.app, self.service, self.model, self.device = app, service, model, device
        self.image, self.revision, self.jobs, self.total = image, 0, 0, total
        self.rng = np.random.default_rng(0)
        self.failures: list[str] = []
        self.points: dict[str, Any] = {}
        self.samples: list[dict[str, Any]] = []
        self.warm_jobs = WARMUP_CYCLES * (CLICKS_PER_REMOVAL + 1)
        service.job_finished.connect(self._finished)
        service.job_failed.connect(self._failed)

    def start(self) -> None:
        self.points["start"] = memory(self.device)
        self._submit()

    def _submit(self) -> None:
        from studio.pipelines.canvas.remove import RemoveRequest
        from studio.pipelines.canvas.segment import SegmentRequest
        from studio.services.jobs import Priority

        side = self.image.shape[0]
        if self.jobs % (CLICKS_PER_REMOVAL + 1) < CLICKS_PER_REMOVAL:
            point = (float(self.rng.integers(0, side)), float(self.rng.integers(0, side)))
            request = SegmentRequest(
                image=self.image,
                points=[point],
                labels=[1],
                model=self.model,
                image_key=f"soak-revision-{self.revision}",
            )
            self.service.submit("canvas.segment", request, Priority.INTERACTIVE)
            return
        mask = np.zeros(self.image.shape[:2], np.uint8)
        x, y = (int(v) for v in self.rng.integers(0, side - side // 8, 2))
        mask[y : y + side // 8, x : x + side // 8] = 255
        self.service.submit("canvas.remove", RemoveRequest(image=self.image, mask=mask))

    def _finished(self, job: Any, result: Any) -> None:
        if job.kind == "canvas.remove":  # the result is the next revision of the picture
            self.image, self.revision = result.image, self.revision + 1
        self._next()

    def _failed(self, job: Any, message: str, detail: str) -> None:
        self.failures.append(message)
        self._next()

    def _next(self) -> None:
        self.jobs += 1
        if self.jobs == self.warm_jobs:
            self.points["after_warmup"] = {"jobs": self.jobs, **memory(self.device)}
        if self.jobs % 100 == 0:
            self.samples.append({"jobs": self.jobs, **memory(self.device)})
            print(f"soak: {self.samples[-1]}", file=sys.stderr, flush=True)
        if self.jobs >= self.total and self.jobs % (CLICKS_PER_REMOVAL + 1) == 0:
            self.points["end"] = {"jobs": self.jobs, **memory(self.device)}
            self.app.quit()
        else:
            self._submit()


def run_soak(jobs: int, smoke: bool, device: str, root: Path) -> dict[str, Any]:
    from PySide6.QtCore import QCoreApplication
    from scripts.bench.canvas import photo

    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.pipelines.context import RunContext
    from studio.services.inference import InferenceService
    from studio.services.model_cache import ModelCache

    app = QCoreApplication.instance() or QCoreApplication([])
    store = ModelStore(root, load_catalogue())
    model = "sam-vit-b" if smoke else "sam-vit-h"
    builder = RunContext(store=store, cache=ModelCache(), device=device)
    install(builder, "tiny" if smoke else "real", model, "lama-big")
    del builder
    side = 256 if smoke else 1536
    service = InferenceService(store, device=device)
    session = Session(app, service, photo(side), model, jobs, device)
    service.device_ready.connect(lambda info: session.start())
    t0 = time.perf_counter()
    service.start()
    try:
        app.exec()
    finally:
        kept = len(service.jobs)
        stopped = service.shutdown(60)
    out: dict[str, Any] = {"device": device, "smoke": smoke, "image": f"{side}x{side}"}
    out.update(session.points)
    out["samples"] = session.samples
    out["jobs_kept_by_service"] = kept
    out["seconds"] = round(time.perf_counter() - t0, 1)
    out["failures"] = session.failures[:5]
    out["service_stopped"] = stopped
    span = max(1, session.jobs - session.warm_jobs)
    for key in ("rss_mb", "cuda_allocated_mb"):
        if key in out.get("end", {}) and "after_warmup" in out:
            grown = out["end"][key] - out["after_warmup"][key]
            out[f"growth_{key[:-3]}_mb_per_100_jobs"] = round(grown * 100 / span, 2)
    return out


def main(args: Any) -> dict[str, Any]:
    import torch

    device = args.device or ("cuda:0" if torch.cuda.is_available() and not args.smoke else "cpu")
    if args.smoke:
        torch.set_num_threads(1)
    jobs = args.jobs or (30 if args.smoke else 1000)
    with tempfile.TemporaryDirectory(prefix="bench_soak_") as tmp:
        return run_soak(jobs, args.smoke, device, Path(tmp) / "models")
