"""Memory soak: many SAM clicks and removals through the real :class:`InferenceService`.

A session as a user makes it, on one image size: four clicks on the current image (interactive
jobs, keyed by its revision like the canvas does), then a removal whose result becomes the
next revision; repeated until ``--jobs`` jobs (1,000; 30 with ``--smoke``) have run. Only
QtCore runs (a ``QCoreApplication``, no window). Tiny SAM on the CPU with ``--smoke`` (LaMa
is always full size), SAM ViT-H and LaMa on a GPU.

Prints RSS (and CUDA allocated memory) at start (service ready, no model loaded), after the
warm-up (the first cycles: models loaded) and at the end, samples every 100 jobs, and
``growth_mb_per_100_jobs`` (end minus warm-up, per 100 jobs after the warm-up). Not a timed
test: a flat session has a growth near 0.
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


def memory(device: str) -> dict[str, float]:
    gc.collect()
    out = {"rss_mb": rss_mb()}
    if device.startswith("cuda"):
        import torch

        out["cuda_allocated_mb"] = round(torch.cuda.memory_allocated(device) / 2**20, 1)
    return out


class Session:
    """Drives the service from the (Qt) main thread, one job at a time."""

    def __init__(self, app: Any, service: Any, image: np.ndarray, model: str) -> None:
        self.app, self.service, self.model = app, service, model
        self.image, self.revision, self.jobs = image, 0, 0
        self.failures: list[str] = []
        self._result: Any = None
        service.job_finished.connect(self._finished)
        service.job_failed.connect(lambda job, message, detail: self.failures.append(message))

    def _finished(self, job: Any, result: Any) -> None:
        self._result = result

    def wait(self, job: Any) -> Any:
        from PySide6.QtCore import QEventLoop

        while not job.state.done:
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.001)
        self.app.processEvents()  # deliver the finished signal
        result, self._result = self._result, None
        self.jobs += 1
        return result

    def cycle(self, rng: np.random.Generator) -> None:
        from studio.pipelines.canvas.remove import RemoveRequest
        from studio.pipelines.canvas.segment import SegmentRequest
        from studio.services.jobs import Priority

        side = self.image.shape[0]
        key = f"soak-revision-{self.revision}"
        for _ in range(CLICKS_PER_REMOVAL):
            point = (float(rng.integers(0, side)), float(rng.integers(0, side)))
            request = SegmentRequest(
                image=self.image, points=[point], labels=[1], model=self.model, image_key=key
            )
            self.wait(self.service.submit("canvas.segment", request, Priority.INTERACTIVE))
        mask = np.zeros(self.image.shape[:2], np.uint8)
        x, y = (int(v) for v in rng.integers(0, side - side // 8, 2))
        mask[y : y + side // 8, x : x + side // 8] = 255
        result = self.wait(
            self.service.submit("canvas.remove", RemoveRequest(image=self.image, mask=mask))
        )
        if result is not None:
            self.image, self.revision = result.image, self.revision + 1


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
    service = InferenceService(store, device=device)
    service.start()
    while service.device_info is None:
        app.processEvents()
        time.sleep(0.01)
    side = 256 if smoke else 1536
    session = Session(app, service, photo(side), model)
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {"device": device, "smoke": smoke, "image": f"{side}x{side}"}
    out["start"] = memory(device)
    t0 = time.perf_counter()
    samples: list[dict[str, Any]] = []
    warm_jobs = 0
    try:
        for _ in range(WARMUP_CYCLES):
            session.cycle(rng)
        warm_jobs = session.jobs
        out["after_warmup"] = {"jobs": warm_jobs, **memory(device)}
        next_sample = 100
        while session.jobs < jobs:
            session.cycle(rng)
            if session.jobs >= next_sample:
                samples.append({"jobs": session.jobs, **memory(device)})
                next_sample += 100
                print(f"soak: {samples[-1]}", file=sys.stderr, flush=True)
        out["end"] = {"jobs": session.jobs, **memory(device)}
    finally:
        out["jobs_kept_by_service"] = len(service.jobs)
        stopped = service.shutdown(60)
    out["samples"] = samples
    out["seconds"] = round(time.perf_counter() - t0, 1)
    out["failures"] = session.failures[:5]
    out["service_stopped"] = stopped
    span = max(1, session.jobs - warm_jobs)
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
