"""Scale-out benchmark: headshot packs through Redis + Celery workers behind a gateway.

    python scripts/bench_scaleout.py --redis-server /usr/bin/redis-server   # CUDA, real shapes
    python scripts/bench_scaleout.py --smoke                                 # CPU, tiny models

Needs no network: it starts ``redis-server`` from ``--redis-server`` (default: the one on the
PATH), two ``studio worker`` processes and a ``studio serve --broker`` gateway on 127.0.0.1,
over a model store it builds (published shapes with random weights; ``--smoke``: tiny).
Workers: two GPUs when there are two, else both workers share GPU 0 (``workers_share_gpu``),
else (``--smoke`` / no CUDA) two CPU workers. Prints one JSON object:

- ``throughput``: headshot drafts per second with one worker, then two (target >= 1.85x);
- ``interactive_behind_batch``: an interactive job submitted while both workers run batch
  packs and more wait: how long it waited, how many queued batch packs it overtook, and
  what was left of the running pack it waited for (jobs do not preempt each other; a worker
  started with ``--queues`` serving only interactive workspaces takes them at once);
- ``overhead``: one small job in-process vs through the queue (upload by hash, Redis, SSE,
  result download): the median difference per job (target < 30 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
try:
    import studio  # noqa: F401
except ImportError:
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # scripts.bench (model builders), tests.scaleout (the cluster)

MODELS = ("realvisxl-v4-lightning", "instantid", "antelopev2", "taesdxl", "realesrgan-x4plus")


def measure(out: dict, name: str, fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - report and go on with the next measurement
        out.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
        out.setdefault("tracebacks", {})[name] = traceback.format_exc(limit=6)
        return None


def build_store(root: Path, device: str, smoke: bool) -> Any:
    from types import SimpleNamespace

    from scripts.bench.models import install

    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore

    store = ModelStore(root, load_catalogue())
    install(SimpleNamespace(store=store, device=device), "tiny" if smoke else "real", *MODELS)
    return store


def selfie_file(folder: Path) -> Path:
    from PIL import Image
    from skimage import data

    path = folder / "selfie.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=95)
    return path


def pack(selfie: Path, folder: Path, count: int, smoke: bool, seed: int = 0) -> Any:
    """Drafts only (no refining, no upscaling): the part a batch spends its GPU time on."""
    from studio.pipelines.headshots.pack import PackRequest

    return PackRequest(
        selfies=[selfie],
        count=count,
        size=64 if smoke else 1024,
        batch_size=1 if smoke else 4,
        refine_top_k=0,
        upscale=False,
        overrides={"steps": 2} if smoke else {},
        folder=folder,
        seed=seed,
    )


class Gateway:
    """Submit, wait, read records: the bench's view of the cluster."""

    def __init__(self, cluster: Any) -> None:
        from studio.remote.client import RemoteRunner

        self.cluster = cluster
        self.client = cluster.client()
        self.runner = RemoteRunner(self.client, "headshots.pack")

    def submit(self, request: Any, priority: str = "batch") -> str:
        wire, _ = self.runner.encode(request)
        return self.client.submit("headshots.pack", wire, priority)

    def wait(self, job_ids: list[str], timeout: float = 3600) -> list[dict[str, Any]]:
        from tests.scaleout.cluster import wait_for

        def ended() -> Any:
            jobs = [self.client.job(j) for j in job_ids]
            return (
                jobs if all(j["status"] in ("done", "failed", "cancelled") for j in jobs) else None
            )

        jobs = wait_for(ended, timeout, "the jobs")
        failed = [j["error"] for j in jobs if j["status"] != "done"]
        if failed:
            raise RuntimeError(f"jobs failed: {failed[:2]}")
        return jobs  # type: ignore[no-any-return]


def throughput(gw: Gateway, selfie: Path, tmp: Path, packs: int, count: int, smoke: bool) -> dict:
    t0 = time.perf_counter()
    ids = [gw.submit(pack(selfie, tmp / f"p{i}", count, smoke, seed=i)) for i in range(packs)]
    jobs = gw.wait(ids)
    wall = time.perf_counter() - t0
    workers = sorted({j["worker"] for j in jobs})
    return {
        "packs": packs,
        "drafts": packs * count,
        "wall_s": wall,
        "drafts_per_s": packs * count / wall,
        "workers_used": workers,
    }


def warm(gw: Gateway, selfie: Path, tmp: Path, name: str, smoke: bool) -> None:
    """Pairs of small packs until ``name`` ran one (its models are then loaded and warm):
    an idle worker that is not busy takes the second of a pair."""
    for i in range(10):
        pair = [
            gw.submit(pack(selfie, tmp / f"warm-{name}-{i}-{k}", 1, smoke), "normal")
            for k in (0, 1)
        ]
        if any(job["worker"] == name for job in gw.wait(pair)):
            return
    raise RuntimeError(f"worker {name} took no warm-up job")


def interactive_behind_batch(gw: Gateway, selfie: Path, tmp: Path, count: int, smoke: bool) -> dict:
    from tests.scaleout.cluster import wait_for

    batch = [gw.submit(pack(selfie, tmp / f"b{i}", count, smoke, seed=i)) for i in range(6)]
    wait_for(
        lambda: sum(gw.client.job(j)["status"] == "running" for j in batch) == 2, 600, "two runs"
    )
    job = gw.submit(pack(selfie, tmp / "interactive", 1, smoke, seed=99), "interactive")
    mine = gw.wait([job])[0]
    others = gw.wait(batch)
    overtook = sum(o["started"] > mine["started"] for o in others)
    freed = min((o["finished"] for o in others if o["finished"] <= mine["started"] + 1e-3),
                default=None)  # fmt: skip
    first_started = min(o["started"] for o in others)
    pack_s = statistics.median(o["finished"] - o["started"] for o in others)
    return {
        "wait_s": mine["started"] - mine["created"],
        "wait_after_a_worker_freed_s": (mine["started"] - freed) if freed else None,
        "overtook_queued_batch_packs": overtook,
        "batch_pack_s": pack_s,
        "step_s": pack_s / (count * (2 if smoke else 4)),  # drafts x steps per pack (approx.)
        "first_batch_started_before_s": mine["created"] - first_started,
    }


def overhead(gw: Gateway, store: Any, device: str, selfie: Path, tmp: Path, smoke: bool) -> dict:
    """A one-draft pack in-process (this process, warm) and through the queue (warm worker)."""
    from studio.pipelines.context import RunContext
    from studio.services.execute import bind_device, execute
    from studio.services.model_cache import ModelCache

    bind_device(device)
    if device == "cpu":
        import torch

        torch.set_num_threads(1)  # as the workers (OMP_NUM_THREADS=1): the same CPU work
    cache = ModelCache()
    ctx_kwargs = {"store": store, "cache": cache, "device": device}
    local, queued = [], []
    repeat = 3 if smoke else 5
    for i in range(repeat + 1):
        request = pack(selfie, tmp / f"local{i}", 1, smoke, seed=i)
        t0 = time.perf_counter()
        execute("headshots.pack", request, **ctx_kwargs)
        _sync(device)
        if i:
            local.append(time.perf_counter() - t0)
        request = pack(selfie, tmp / f"queued{i}", 1, smoke, seed=i)
        t0 = time.perf_counter()
        gw.runner(request, RunContext(store=store, cache=cache, device="cpu"))
        if i:
            queued.append(time.perf_counter() - t0)
    return {
        "in_process_s": statistics.median(local),
        "queued_s": statistics.median(queued),
        "overhead_ms_per_job": (statistics.median(queued) - statistics.median(local)) * 1000,
        "repeat": repeat,
    }


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny models on the CPU")
    parser.add_argument("--redis-server", default=shutil.which("redis-server"))
    parser.add_argument("--packs", type=int, default=None, help="packs per throughput run")
    parser.add_argument("--count", type=int, default=None, help="drafts per pack")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    import torch
    from tests.scaleout.cluster import Cluster, process_env

    gpus = 0 if args.smoke else torch.cuda.device_count()
    devices = ["cuda:0", "cuda:1"] if gpus >= 2 else ["cuda:0"] * 2 if gpus == 1 else ["cpu"] * 2
    packs = args.packs or (4 if args.smoke else 8)
    count = args.count or (2 if args.smoke else 8)
    out: dict[str, Any] = {
        "bench": "scaleout",
        "smoke": args.smoke,
        "worker_devices": devices,
        "workers_share_gpu": gpus == 1,
        "mode": ["two CPU workers", "two workers sharing GPU 0", "two GPUs"][min(gpus, 2)],
        "redis_server": args.redis_server,
    }  # fmt: skip
    if not args.redis_server or not Path(args.redis_server).exists():
        out["errors"] = {"redis": "no redis-server: pass --redis-server PATH"}
        print(json.dumps(out, indent=1))
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-scaleout-"))
    env = process_env(tmp / "home")
    if args.smoke:
        env["CUDA_VISIBLE_DEVICES"] = ""
    cluster = Cluster(tmp, env, redis_server=args.redis_server, persistent=False)
    try:
        store = build_store(tmp / "models", devices[0], args.smoke)
        selfie = selfie_file(tmp)
        cluster.start_redis()
        cluster.start_gateway()
        cluster.start_worker("w1", "headshots", store.root, devices[0])
        cluster.wait_worker("w1")
        gw = Gateway(cluster)
        warm(gw, selfie, tmp, "w1", args.smoke)
        one = measure(
            out, "one_worker", lambda: throughput(gw, selfie, tmp / "one", packs, count, args.smoke)
        )
        cluster.start_worker("w2", "headshots", store.root, devices[1])
        cluster.wait_worker("w2")
        warm(gw, selfie, tmp, "w2", args.smoke)
        two = measure(
            out,
            "two_workers",
            lambda: throughput(gw, selfie, tmp / "two", packs * 2, count, args.smoke),
        )
        if one and two:
            out["throughput"] = {
                "one_worker": one,
                "two_workers": two,
                "speedup": two["drafts_per_s"] / one["drafts_per_s"],
                "target": 1.85,
            }
        out["interactive_behind_batch"] = measure(
            out,
            "interactive",
            lambda: interactive_behind_batch(gw, selfie, tmp / "ib", count, args.smoke),
        )
        out["overhead"] = measure(
            out, "overhead", lambda: overhead(gw, store, devices[0], selfie, tmp / "oh", args.smoke)
        )
    except Exception as exc:  # noqa: BLE001
        out.setdefault("errors", {})["setup"] = f"{type(exc).__name__}: {exc}"
        out.setdefault("tracebacks", {})["setup"] = traceback.format_exc(limit=8)
    finally:
        cluster.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            out["work_dir"] = str(tmp)
    print(json.dumps(out, indent=1))
    return 0 if "errors" not in out else 1


if __name__ == "__main__":
    sys.exit(main())
