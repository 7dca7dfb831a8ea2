"""Operations and live: ``/metrics`` names, the workers list, and live sessions that never
queue (a ``--live`` worker serves the WebSocket itself; the gateway hands out its address)."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from PIL import Image

from tests.scaleout.cluster import free_port, wait_for

# The first test of a session also builds the models and starts the cluster (minutes on a
# busy CPU); a batch of 20 packs runs for minutes too.
pytestmark = pytest.mark.timeout(1500)


def jpeg(image) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def test_metrics_carry_the_queue_and_worker_gauges(workers_up):
    text = httpx.get(f"{workers_up.url}/metrics", timeout=30).text
    for name in (
        "inference_duration_seconds",
        "jobs_total",
        "queue_latency_seconds",
        "gpu_vram_used_bytes",
        'queue_depth{queue="canvas"}',
        'queue_depth{queue="headshots"}',
        'queue_depth{queue="lipsync"}',
        'workers{state="busy"}',
        'workers{state="idle"}',
        'workers{state="gone"}',
        'worker_gpu_vram_used_bytes{gpu="cpu",worker="w1"}',
    ):
        assert name in text, name


def test_workers_list_shows_gpu_queues_and_warm_models(workers_up):
    listed = workers_up.client()._send("GET", "/v1/workers").json()["workers"]
    cards = {c["name"]: c for c in listed}
    assert cards["w1"]["queues"] == ["canvas", "headshots", "live"]
    assert cards["w2"]["queues"] == ["canvas", "headshots"]
    assert cards["w1"]["device"] == "cpu" and cards["w1"]["gpu"] is None
    assert all(isinstance(c["warm"], list) for c in cards.values())


def test_live_worker_serves_the_websocket_and_the_gateway_hands_out_its_address(
    workers_up, main_store, photo
):
    import websockets.sync.client

    cluster = workers_up
    # The gateway itself runs no GPU: without a live worker it says so.
    assert httpx.get(f"{cluster.url}/api/live/endpoint", timeout=30).status_code == 503
    port = free_port()
    cluster.start_live_worker("live1", port, main_store.root)
    try:
        wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200,
            180,
            "the live worker",
        )
        endpoint = wait_for(
            lambda: (
                (r := httpx.get(f"{cluster.url}/api/live/endpoint", timeout=30)).status_code == 200
                and r.json()
            ),
            60,
            "the live endpoint",
        )
        assert endpoint["url"] == f"http://127.0.0.1:{port}" and not endpoint["direct"]
        socket_url = endpoint["websocket"].replace("{user_id}", "alice")
        with websockets.sync.client.connect(socket_url) as ws:
            ws.send(json.dumps({"prompt": "a watercolour", "width": 64, "height": 64, "seed": 2}))
            assert json.loads(ws.recv(timeout=30))["status"] == "ok"
            ws.send(jpeg(photo))
            frame = Image.open(io.BytesIO(ws.recv(timeout=120)))
        assert frame.format == "JPEG" and frame.size == (64, 64)
        card = cluster.card("live1")
        assert card["live"] == endpoint["url"] and card["queues"] == []

        # A frame sent to the gateway is not queued: it points at the live worker.
        gateway_ws = cluster.url.replace("http", "ws") + "/api/ws/bob"
        with websockets.sync.client.connect(gateway_ws) as ws:
            ws.send(jpeg(photo))
            reply = json.loads(ws.recv(timeout=30))
        assert reply["status"] == "error" and "/api/live/endpoint" in reply["message"]
    finally:
        cluster.stop_worker("live1")
