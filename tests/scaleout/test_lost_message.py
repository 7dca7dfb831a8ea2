"""A queued job whose message Redis lost (a broker restart while a worker was taking it):
the gateway notices the job has no message anywhere and sends it again; it runs once."""

from __future__ import annotations

import secrets

import pytest

from studio.remote.codec import Encoder
from studio.scaleout.files import input_key
from studio.scaleout.records import QUEUED_SET, Records
from tests.scaleout.jobs import summary, wait_status

pytestmark = pytest.mark.timeout(1500)


def test_a_queued_job_without_its_message_is_sent_again(workers_up, photo):
    from studio.pipelines.canvas.segment import SegmentRequest

    cluster = workers_up
    redis = cluster.redis()
    encoder = Encoder()
    wire = encoder.encode(SegmentRequest(image=photo, points=[(60.0, 40.0)], labels=[1]))
    for key, data in encoder.blobs.items():  # the inputs the gateway had published
        redis.set(input_key(key.partition(".")[0]), data, ex=3600)
    job_id = secrets.token_hex(8)
    records = Records(redis)
    records.create(job_id, "canvas.segment", 0)
    records.update(job_id, wire=wire)
    records.events(job_id).append("status", {"status": "queued"})
    redis.sadd(QUEUED_SET, job_id)  # submitted; its message is gone

    done = wait_status(cluster, job_id, "done", "failed", timeout=300)
    assert done["status"] == "done", done["error"]
    assert done["runs"] == 1 and done["result"] is not None
    assert not redis.sismember(QUEUED_SET, job_id)
    assert summary(cluster, job_id)["worker"] in ("w1", "w2")
