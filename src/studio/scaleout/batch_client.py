"""The client side of a batch: one headshot pack per person folder, submitted as one batch,
followed until every pack ended, each pack's folder downloaded as soon as it is done.

Used by ``studio batch headshots`` and by scripts; only needs the gateway's URL (and token).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MAX_SELFIES = 3


def person_folders(selfies_dir: Path) -> dict[str, list[Path]]:
    """Each sub-folder with selfies -> its first (up to) three images, by name."""
    root = Path(selfies_dir)
    if not root.is_dir():
        raise BadInput(f"--selfies-dir: '{root}' is not a folder.")
    people: dict[str, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        images = sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if images:
            people[folder.name] = images[:MAX_SELFIES]
    if not people:
        raise BadInput(
            f"--selfies-dir: '{root}' has no sub-folders with selfies (one folder per person)."
        )
    return people


@dataclass
class SubmittedBatch:
    id: str
    jobs: dict[str, str]  # pack name -> job id
    outputs: dict[str, dict[str, Path]] = field(default_factory=dict)


def submit_batch(
    client: Any, kind: str, requests: dict[str, Any], priority: str = "batch"
) -> SubmittedBatch:
    """Upload every pack's inputs and submit them as one batch."""
    from studio.remote.client import RemoteRunner

    runner = RemoteRunner(client, kind)
    packs, outputs = [], {}
    for name, request in requests.items():
        wire, outputs[name] = runner.encode(request)
        packs.append({"name": name, "request": wire})
    body = {"kind": kind, "packs": packs, "priority": priority}
    answer = client._send("POST", "/v1/batches", json=body).json()
    return SubmittedBatch(answer["id"], dict(answer["jobs"]), outputs)


def batch_status(client: Any, batch_id: str) -> dict[str, Any]:
    return client._send("GET", f"/v1/batches/{batch_id}").json()  # type: ignore[no-any-return]


def follow_batch(
    client: Any,
    kind: str,
    batch: SubmittedBatch,
    report: Callable[[dict[str, Any]], None] | None = None,
    poll_s: float = 1.0,
    on_done: Callable[[str, Any], None] | None = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Poll the batch until every pack ended; download each done pack once. The last status.
    ``TimeoutError`` after ``timeout_s`` (the batch goes on)."""
    from studio.remote.client import RemoteRunner

    runner = RemoteRunner(client, kind)
    collected: set[str] = set()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"batch {batch.id} did not finish in {timeout_s:.0f} s")
        status = batch_status(client, batch.id)
        if report is not None:
            report(status)
        for pack in status["packs"]:
            name = pack["name"]
            if pack["status"] == "done" and name not in collected:
                result = runner.collect(pack["job"], batch.outputs.get(name, {}))
                collected.add(name)
                if on_done is not None:
                    on_done(name, result)
        if status["finished"]:
            return status
        time.sleep(poll_s)


def progress_line(status: dict[str, Any]) -> str:
    """``batch 3f2a: 12/40 done, 2 running, 26 queued (alice 18/40 drafts, ...)``."""
    c = status["counts"]
    running = [
        f"{p['name']} {p['progress']['done']}/{p['progress']['total']}"
        for p in status["packs"]
        if p.get("status") == "running" and p.get("progress")
    ]
    extra = f" ({', '.join(running)})" if running else ""
    failed = f", {c['failed']} failed" if c.get("failed") else ""
    return (
        f"batch {status['id']}: {c['done']}/{status['total']} done, {c['running']} running, "
        f"{c['queued']} queued{failed}{extra}"
    )
