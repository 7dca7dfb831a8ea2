"""Priority order and cancel through the queue.

Both workers are kept busy with long packs; then batch-priority live frames and one
interactive frame queue behind them (only w1 serves the live queue). One queued frame is
cancelled (it never runs), the packs are cancelled while running (they stop at their next
``ctx.check()``), and w1 then runs the interactive frame before the batch frames.
"""

from __future__ import annotations

import pytest

from tests.scaleout.cluster import wait_for
from tests.scaleout.jobs import pack_request, submit, summary, wait_status

# The first test of a session also builds the models and starts the cluster (minutes on a
# busy CPU); a batch of 20 packs runs for minutes too.
pytestmark = pytest.mark.timeout(1500)


def live_request(photo, seed):
    from studio.pipelines.live.jobs import LiveFrameRequest
    from studio.pipelines.live.session import LiveSettings

    settings = LiveSettings(prompt="ink", seed=seed, width=64, height=64, optimise="eager")
    return LiveFrameRequest(settings, photo)


def test_interactive_overtakes_batch_and_cancel_queued_and_running(
    workers_up, photo, selfie, tmp_path
):
    cluster = workers_up
    blockers = [
        submit(cluster, "headshots.pack", pack_request(selfie, tmp_path / f"b{i}", 500), "batch")
        for i in range(2)
    ]
    running = [wait_status(cluster, b, "running") for b in blockers]
    assert {r["worker"] for r in running} == {"w1", "w2"}  # each worker holds one pack

    batch_frames = [
        submit(cluster, "live.frame", live_request(photo, seed), "batch") for seed in (1, 2, 3)
    ]
    interactive = submit(cluster, "live.frame", live_request(photo, 9), "interactive")
    assert all(summary(cluster, j)["status"] == "queued" for j in [*batch_frames, interactive])

    # Cancel a queued job: it ends at once and never runs.
    client = cluster.client()
    client.cancel(batch_frames[2])
    cancelled = summary(cluster, batch_frames[2])
    assert cancelled["status"] == "cancelled" and cancelled["runs"] == 0
    events = list(client.events(batch_frames[2]))
    assert [e.event for e in events] == ["status", "cancelled"]

    # Cancel the running packs: they stop between steps (cooperative, never killed).
    progressed = wait_for(
        lambda: all(summary(cluster, b)["last_event_id"] >= 3 for b in blockers),
        120,
        "the packs to report progress",
    )
    assert progressed
    for b in blockers:
        client.cancel(b)
    for b in blockers:
        ended = wait_status(cluster, b, "cancelled", "done", "failed", timeout=120)
        assert ended["status"] == "cancelled" and ended["result"] is None
        assert list(client.events(b))[-1].event == "cancelled"

    done = {j: wait_status(cluster, j, "done") for j in [interactive, *batch_frames[:2]]}
    first = done[interactive]["started"]
    assert all(first < done[j]["started"] for j in batch_frames[:2]), done
    assert {d["worker"] for d in done.values()} == {"w1"}
    assert summary(cluster, batch_frames[2])["runs"] == 0  # the cancelled one never ran
    for worker in ("w1", "w2"):
        wait_for(lambda w=worker: cluster.card(w)["state"] == "idle", 30, f"{worker} idle")
