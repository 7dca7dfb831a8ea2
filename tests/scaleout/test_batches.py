"""Batches: 20 packs from the CLI spread over both workers; a Redis restart mid-batch loses
nothing and runs nothing twice; a gateway restart sends the packs a stopped gateway had
recorded but not yet queued."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from studio.pipelines.headshots.packs import load_pack
from studio.scaleout.batch_client import batch_status, follow_batch, submit_batch
from tests.scaleout.cluster import REPO, wait_for
from tests.scaleout.jobs import pack_request

# The first test of a session also builds the models and starts the cluster (minutes on a
# busy CPU); a batch of 20 packs runs for minutes too.
pytestmark = pytest.mark.timeout(1500)


def test_cli_batch_of_20_packs_spreads_over_both_workers(workers_up, selfie, tmp_path):
    cluster = workers_up
    people = tmp_path / "people"
    for i in range(20):
        (people / f"person{i:02d}").mkdir(parents=True)
        shutil.copy(selfie, people / f"person{i:02d}" / "selfie.jpg")
    (people / "no-selfies").mkdir()  # a folder without images is not a person
    out = tmp_path / "packs"
    run = subprocess.run(
        [sys.executable, "-m", "studio", "batch", "headshots", "--selfies-dir", str(people),
         "--style", "studio-white", "-n", "1", "--size", "64", "--top-k", "0", "--no-upscale",
         "-o", str(out), "--server", cluster.url],
        cwd=REPO, env=cluster.env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    batch_id = re.search(r"batch (\w+): 20 packs queued", run.stdout).group(1)
    assert sorted(p.name for p in out.iterdir()) == [f"person{i:02d}" for i in range(20)]
    for folder in out.iterdir():
        pack = load_pack(folder)
        assert len(pack.images) == 1 and (folder / pack.images[0].draft).is_file()
    status = batch_status(cluster.client(), batch_id)
    assert status["finished"] and status["counts"]["done"] == 20
    by_worker = {}
    for pack in status["packs"]:
        by_worker[pack["worker"]] = by_worker.get(pack["worker"], 0) + 1
        assert pack["runs"] == 1
    assert set(by_worker) == {"w1", "w2"}, by_worker  # each did some


def test_redis_restart_mid_batch_loses_nothing_and_runs_nothing_twice(workers_up, selfie, tmp_path):
    cluster = workers_up
    client = cluster.client()
    requests = {f"p{i}": pack_request(selfie, tmp_path / f"p{i}", 2, seed=i) for i in range(8)}
    batch = submit_batch(client, "headshots.pack", requests)
    wait_for(
        lambda: batch_status(client, batch.id)["counts"]["done"] >= 1,
        300,
        "the first pack of the batch",
    )
    cluster.restart_redis()
    done: dict[str, object] = {}
    final = wait_for(  # retried while the gateway's Redis connection comes back
        lambda: follow_batch(
            client, "headshots.pack", batch, on_done=done.__setitem__, timeout_s=600
        ),
        60,
        "the batch to finish after the restart",
    )
    assert final["counts"]["done"] == 8, final
    assert all(p["runs"] == 1 for p in final["packs"]), final["packs"]
    assert sorted(done) == sorted(requests)
    for name, result in done.items():
        assert result.folder == tmp_path / name and len(result.pack.images) == 2
        assert all((result.folder / im.draft).is_file() for im in result.pack.images)


def test_gateway_restart_sends_what_a_stopped_gateway_had_not(workers_up, selfie, tmp_path):
    """The records of a batch written, its messages never sent (the gateway stopped there):
    the next gateway start sends them, and every pack runs once."""
    from studio.remote.client import RemoteRunner
    from studio.scaleout.batches import Batches
    from studio.scaleout.gateway import RedisJobStore
    from studio.scaleout.records import Records

    cluster = workers_up
    client = cluster.client()
    runner = RemoteRunner(client, "headshots.pack")
    packs = []
    for i in range(3):
        wire, _ = runner.encode(pack_request(selfie, tmp_path / f"r{i}", 1, seed=i))
        packs.append((f"r{i}", wire, {selfie_sha(selfie)}))
    records = Records(cluster.redis())
    batches = Batches(RedisJobStore(records, tmp_path / "jobs"), backend=None)
    batch_id = batches.record("headshots.pack", packs, "batch")
    assert all(not p["sent"] for p in batch_status(client, batch_id)["packs"])

    cluster.restart_gateway()
    final = wait_for(
        lambda: (s := batch_status(client, batch_id))["finished"] and s, 300, "the batch"
    )
    assert final["counts"]["done"] == 3
    assert all(p["sent"] and p["runs"] == 1 for p in final["packs"])


def selfie_sha(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
