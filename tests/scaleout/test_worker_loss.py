"""A worker killed mid-job (``kill -9``): its job is handed to the other worker once its
lease runs out, completes there, and a client following the events sees it continue. The
dead worker is listed as gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from studio.remote.client import RemoteRunner
from studio.remote.wire import prepare_request
from tests.scaleout.cluster import REPO, wait_for
from tests.scaleout.jobs import pack_request, submit, summary, wait_status

# The first test of a session also builds the models and starts the cluster (minutes on a
# busy CPU); a batch of 20 packs runs for minutes too.
pytestmark = pytest.mark.timeout(1500)


def test_kill_9_mid_job_completes_on_the_other_worker(workers_up, selfie, tmp_path):
    cluster = workers_up
    request = pack_request(selfie, tmp_path / "pack", 8)
    job = submit(cluster, "headshots.pack", request)
    seen = []
    follower = threading.Thread(target=lambda: seen.extend(cluster.client().events(job)))
    follower.start()
    first = wait_for(
        lambda: (
            (s := summary(cluster, job))["status"] == "running" and s["last_event_id"] >= 3 and s
        ),
        180,
        "the pack to start and report progress",
    )
    victim = first["worker"]
    os.kill(cluster.workers[victim].pid, signal.SIGKILL)
    cluster.workers[victim].wait(30)

    done = wait_status(cluster, job, "done", "failed", "cancelled", timeout=900)
    follower.join(60)
    assert not follower.is_alive()
    assert done["status"] == "done", done["error"]
    survivor = "w2" if victim == "w1" else "w1"
    assert done["worker"] == survivor and done["runs"] == 2

    # One unbroken stream: started on the victim, started again on the survivor, done.
    starts = [e.data for e in seen if e.event == "status" and e.data["status"] == "running"]
    assert [s["worker"] for s in starts] == [victim, survivor]
    assert [s["attempt"] for s in starts] == [1, 2]
    assert seen[-1].event == "done"
    assert [e.id for e in seen] == sorted({e.id for e in seen})  # no id twice, in order
    # A client reconnecting with Last-Event-ID gets exactly what it missed, from Redis.
    replayed = list(cluster.client().events(job, after=seen[2].id))
    assert [(e.id, e.event) for e in replayed] == [(e.id, e.event) for e in seen[3:]]
    # Its files reach the client although the two workers share no disk with the gateway.
    _, outputs = prepare_request("headshots.pack", request)
    result = RemoteRunner(cluster.client(), "headshots.pack").collect(job, outputs)
    assert result.folder == tmp_path / "pack" and len(result.pack.images) == 8
    assert all((result.folder / im.draft).is_file() for im in result.pack.images)

    gone = wait_for(lambda: cluster.card(victim)["state"] == "gone", 60, "the victim gone")
    assert gone
    wait_for(lambda: cluster.card(survivor)["state"] == "idle", 60, "the survivor idle")
    listing = subprocess.run(
        [sys.executable, "-m", "studio", "workers", "--server", cluster.url],
        cwd=REPO,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line.split()[1] for line in listing.stdout.splitlines()[1:]}
    assert rows[victim] == "gone" and rows[survivor] == "idle"
