"""The job API's contract: cancel, SSE replay and reconnect, files, metrics, limits, tokens."""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pytest
from tests.server.conftest import free_port, recording_context, start_server, stop_server

from studio.core.errors import BadInput, Cancelled
from studio.pipelines.live.jobs import LiveFrameRequest
from studio.pipelines.live.session import LiveSettings
from studio.remote.client import RECONNECT_STAGE, RemoteRunner, StudioClient
from studio.remote.codec import Encoder

TINY = LiveSettings(prompt="a cat", seed=1, width=64, height=64, optimise="eager")


def submit_live_frame(client, priority="normal"):
    wire = Encoder().encode(LiveFrameRequest(TINY))
    return client.submit("live.frame", wire, priority)


def wait_finished(client, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.job(job_id)
        if status["status"] in ("done", "failed", "cancelled"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def long_fill(photo):
    from studio.pipelines.canvas.fill import FillRequest

    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[20:50, 20:60] = 255
    return FillRequest(image=photo, mask=mask, steps=150, variations=3, seed=1, work_side=64)


def test_cancel_queued_and_running_jobs(server, photo, model_store):
    ctx = recording_context(model_store)
    outcome = {}

    def run():
        try:
            RemoteRunner(server.client(), "canvas.fill")(long_fill(photo), ctx)
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 60
    while not any(r[0] == "Filling" and r[1] >= 2 for r in ctx.reports):
        assert time.monotonic() < deadline and worker.is_alive(), "the fill never ran"
        time.sleep(0.02)
    client = server.client()
    queued = submit_live_frame(client)
    assert client.job(queued)["status"] == "queued"  # the fill holds the GPU thread
    client.cancel(queued)
    status = client.job(queued)
    assert status["status"] == "cancelled" and status["started"] is None

    ctx.cancel.cancel()  # the remote runner forwards it as DELETE
    worker.join(60)
    assert isinstance(outcome.get("error"), Cancelled)
    done = [r for r in ctx.reports if r[0] == "Filling"]
    assert len(done) < 300  # stopped long before the 3 x 150 steps
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'jobs_total{status="cancelled"}' in metrics


def test_events_replay_from_last_event_id(server):
    client = server.client()
    job_id = submit_live_frame(client)
    wait_finished(client, job_id)
    everything = list(client.events(job_id))
    assert [e.id for e in everything] == list(range(1, len(everything) + 1))
    assert everything[-1].event == "done"
    assert [e.event for e in everything[:2]] == ["status", "status"]  # queued, running
    assert list(client.events(job_id, after=2)) == everything[2:]
    with httpx.stream(
        "GET", f"{server.url}/v1/jobs/{job_id}/events", headers={"Last-Event-ID": "1"}
    ) as response:
        text = response.read().decode()
    assert "id: 1\n" not in text and "id: 2\n" in text and "event: done" in text


class DroppingTransport(httpx.BaseTransport):
    """A network that cuts the first ``drops`` event streams after their first chunk."""

    def __init__(self, drops: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.drops = drops

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/events") or self.drops <= 0:
            return response
        self.drops -= 1
        upstream = response.stream

        class Cut(httpx.SyncByteStream):
            def __iter__(self):
                for chunk in upstream:
                    yield chunk
                    raise httpx.ReadError("connection reset by the test network")

            def close(self):
                upstream.close()

        return httpx.Response(response.status_code, headers=response.headers, stream=Cut())


def test_reconnect_replays_missed_events_and_loses_nothing(server, photo, model_store):
    from studio.pipelines.canvas.fill import FillRequest

    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[20:50, 20:60] = 255
    request = FillRequest(image=photo, mask=mask, steps=6, seed=5, work_side=64)
    ctx = recording_context(model_store)
    client = StudioClient(server.url, transport=DroppingTransport(drops=3))
    result = RemoteRunner(client, "canvas.fill")(request, ctx)
    local = RemoteRunner(server.client(), "canvas.fill")(request, recording_context(model_store))
    assert np.array_equal(result.images[0], local.images[0])
    stages = [r[:3] for r in ctx.reports if r[0] != RECONNECT_STAGE]
    assert sum(r[0] == RECONNECT_STAGE for r in ctx.reports) == 3
    fills = [r for r in stages if r[0] == "Filling"]
    assert [r[1] for r in fills] == sorted(r[1] for r in fills)  # in order, none twice
    assert fills[-1][1] == fills[-1][2] > 0
    job_ids = [j for j in server.state.jobs._jobs]
    events = server.state.jobs.get(job_ids[-2]).events.read(0, 0)
    assert len([e for e in events if e.event == "progress"]) == len(stages)


def test_result_file_download_honours_range(server):
    client = server.client()
    job_id = submit_live_frame(client)
    summary = wait_finished(client, job_id)
    key = summary["result"]["v"]["image"]["blob"]
    whole = client.fetch(job_id, f"blobs/{key}")
    response = httpx.get(
        f"{server.url}/v1/jobs/{job_id}/files/blobs/{key}", headers={"Range": "bytes=8-23"}
    )
    assert response.status_code == 206 and response.content == whole[8:24]


def test_metrics_name_the_four_series(server):
    client = server.client()
    wait_finished(client, submit_live_frame(client))
    text = httpx.get(f"{server.url}/metrics").text
    for name in (
        "inference_duration_seconds_bucket{",
        'jobs_total{status="done"}',
        "queue_latency_seconds_count",
        "gpu_vram_used_bytes",
    ):
        assert name in text
    assert 'stage="Live frame"' in text


def test_oversized_upload_is_refused_with_413(server):
    limit = server.state.config.max_upload_bytes
    response = httpx.post(f"{server.url}/v1/uploads", content=b"\0" * (limit + 1))
    assert response.status_code == 413 and "limit" in response.json()["detail"]

    def chunks():  # no Content-Length: the limit holds while the body streams in
        for _ in range(limit // 2**20 + 2):
            yield b"\0" * 2**20

    response = httpx.post(f"{server.url}/v1/uploads", content=chunks())
    assert response.status_code == 413
    assert not [p for p in server.state.uploads.folder.iterdir() if p.name.startswith(".")]


def test_an_empty_upload_is_refused_with_a_message(server):
    response = httpx.post(f"{server.url}/v1/uploads", content=b"")
    assert response.status_code == 422 and "empty" in response.json()["detail"]
    assert not [p for p in server.state.uploads.folder.iterdir() if p.name.startswith(".")]


def test_corrupt_image_is_422_with_a_message(server, photo):
    from studio.pipelines.canvas.remove import RemoveRequest

    client = server.client()
    encoder = Encoder()
    wire = encoder.encode(RemoveRequest(image=photo, mask=np.full(photo.shape[:2], 255, np.uint8)))
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"garbage" * 20
    sha = client.upload(broken)
    wire["v"]["image"]["blob"] = f"{sha}.png"
    for data in encoder.blobs.values():
        client.upload(data)
    response = httpx.post(f"{server.url}/v1/jobs", json={"kind": "canvas.remove", "request": wire})
    assert response.status_code == 422
    assert "damaged" in response.json()["detail"]
    assert "Traceback" not in response.text
    with pytest.raises(BadInput, match="damaged"):
        client.submit("canvas.remove", wire)


@pytest.mark.parametrize("request_body", [{}, None, [1, 2], "canvas.remove"])
def test_a_request_of_the_wrong_shape_is_422_at_submit(server, request_body):
    response = httpx.post(
        f"{server.url}/v1/jobs", json={"kind": "canvas.remove", "request": request_body}
    )
    assert response.status_code == 422
    assert "RemoveRequest" in response.json()["detail"]
    assert "Traceback" not in response.text


def test_names_outside_the_work_folder_are_refused(server, avatar_file, speech, tmp_path):
    from studio.pipelines.lipsync.render import RenderRequest
    from studio.remote.codec import OutputSlot

    client = server.client()
    sha = client.upload_file(speech)
    wire = Encoder(lambda p: {"$t": "upload", "sha256": sha, "name": "../../escape.wav"}).encode(
        RenderRequest(avatar_file, speech, OutputSlot("output"))
    )
    response = httpx.post(f"{server.url}/v1/jobs", json={"kind": "lipsync.render", "request": wire})
    assert (
        response.status_code == 422 and "not an acceptable file name" in response.json()["detail"]
    )
    wire = Encoder(lambda p: {"$t": "upload", "sha256": sha, "name": "a.wav"}).encode(
        RenderRequest(avatar_file, speech, OutputSlot("../../out"))
    )
    response = httpx.post(f"{server.url}/v1/jobs", json={"kind": "lipsync.render", "request": wire})
    assert response.status_code == 422
    job_id = submit_live_frame(client)
    wait_finished(client, job_id)
    for name in ("out/..%2F..%2F..%2Fuploads%2F" + sha, "..%2Fin%2Fx", "blobs/..%2F..%2Fx"):
        response = httpx.get(f"{server.url}/v1/jobs/{job_id}/files/{name}")
        assert response.status_code in (400, 404)
        assert response.content[:4] != b"RIFF"
    assert not list(server.state.jobs.root.parent.parent.glob("escape.wav"))


def test_a_non_local_bind_needs_the_token(model_store, tmp_path):
    import websockets.sync.client

    from studio.server.state import ServerConfig

    config, generated = ServerConfig(
        host="0.0.0.0", port=free_port(), work_dir=tmp_path, device="cpu"
    ).with_token()
    assert generated and len(config.token) >= 24
    assert ServerConfig(host="127.0.0.1").with_token()[1] is False
    running = start_server(config, model_store)  # listens on 127.0.0.1 with that config
    try:
        url = running.url
        assert httpx.get(f"{url}/health").status_code == 200  # open, for load balancers
        assert httpx.get(f"{url}/v1/jobs/x").status_code == 401
        assert httpx.post(f"{url}/v1/uploads", content=b"x").status_code == 401
        bad = {"Authorization": "Bearer wrong"}
        assert httpx.get(f"{url}/metrics", headers=bad).status_code == 401
        good = {"Authorization": f"Bearer {config.token}"}
        assert httpx.get(f"{url}/metrics", headers=good).status_code == 200
        assert httpx.get(f"{url}/api/settings?token={config.token}").status_code == 200
        refused = (websockets.exceptions.InvalidStatus, websockets.exceptions.ConnectionClosed)
        with pytest.raises(refused):
            with websockets.sync.client.connect(f"ws://127.0.0.1:{config.port}/api/ws/u") as ws:
                ws.recv(timeout=5)
        with pytest.raises(Exception, match="token"):
            StudioClient(url, "wrong").job("x")
        assert StudioClient(url, config.token).health()["status"] == "ok"
    finally:
        stop_server(running)


def test_a_server_path_in_a_request_is_refused(server):
    from studio.pipelines.headshots.selfies import SelfieRequest

    wire = Encoder().encode(LiveFrameRequest(TINY, "/etc/hostname"))
    response = httpx.post(f"{server.url}/v1/jobs", json={"kind": "live.frame", "request": wire})
    assert response.status_code == 422 and "uploaded" in response.json()["detail"]
    wire = Encoder().encode(SelfieRequest(selfies=["/etc/passwd"]))
    response = httpx.post(
        f"{server.url}/v1/jobs", json={"kind": "headshots.check", "request": wire}
    )
    assert response.status_code == 422


def test_a_local_text_path_is_uploaded_by_the_client(server, model_store, photo, tmp_path):
    from PIL import Image

    from studio.pipelines.live.jobs import run_frame

    path = tmp_path / "frame.png"
    Image.fromarray(photo).save(path)
    request = LiveFrameRequest(TINY, str(path))  # the live CLI passes its --image text
    remote = RemoteRunner(server.client(), "live.frame")(request, recording_context(model_store))
    local = run_frame(LiveFrameRequest(TINY, photo), recording_context(model_store))
    assert np.array_equal(remote.image, local.image)
