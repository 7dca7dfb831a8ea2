"""Small helpers of the scale-out tests: submit a request raw, wait for a job's status."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from studio.remote.client import RemoteRunner
from tests.scaleout.cluster import wait_for


def submit(cluster: Any, kind: str, request: Any, priority: str = "normal") -> str:
    client = cluster.client()
    wire, _outputs = RemoteRunner(client, kind).encode(request)
    return client.submit(kind, wire, priority)


def summary(cluster: Any, job_id: str) -> dict[str, Any]:
    return cluster.client().job(job_id)  # type: ignore[no-any-return]


def wait_status(cluster: Any, job_id: str, *statuses: str, timeout: float = 300.0) -> dict:
    def reached() -> Any:
        s = summary(cluster, job_id)
        return s if s["status"] in statuses else None

    try:
        return wait_for(reached, timeout, f"job {job_id} to be {'/'.join(statuses)}")  # type: ignore[no-any-return]
    except TimeoutError as exc:  # say where the job stood: a slow run or a lost job
        try:
            last = summary(cluster, job_id)
        except Exception as gone:  # noqa: BLE001 - the gateway itself may be the problem
            last = {"summary failed": repr(gone)}
        cards = {}
        with contextlib.suppress(Exception):
            cards = {name: cluster.card(name) for name in cluster.workers}
        raise TimeoutError(f"{exc}; last seen {last}; workers {cards}") from None


def pack_request(selfie: Path, folder: Path, count: int, seed: int = 5) -> Any:
    """A tiny headshot pack: ``count`` 64 px drafts of two steps, no refining or upscaling."""
    from studio.pipelines.headshots.pack import PackRequest

    return PackRequest(
        selfies=[selfie],
        count=count,
        size=64,
        batch_size=1,
        refine_top_k=0,
        upscale=False,
        overrides={"steps": 2, "refine_steps": 1, "refine_strength": 0.5},
        folder=folder,
        seed=seed,
    )
