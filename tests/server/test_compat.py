"""The compatible endpoints: lipsync's /generate and /precompute, the real-time WebSocket and
MJPEG stream, and the /live page in a real (headless) Chromium with a fake camera."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import threading
import time

import httpx
import numpy as np
import pytest
from PIL import Image
from tests.server.conftest import free_port


@pytest.fixture(scope="module")
def lipsync_url(server):
    """The lipsync routes on their own port, sharing the server's GPU thread."""
    import uvicorn

    from studio.server.lipsync_compat import create_lipsync_app

    port = free_port()
    app = create_lipsync_app(server.state)
    lip = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=lip.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    yield url
    lip.should_exit = True  # (its lifespan is the main server's)
    thread.join(20)
    assert not thread.is_alive()


def test_lipsync_precompute_then_generate_returns_a_playable_mp4(
    lipsync_url, avatar_file, speech, tmp_path
):
    import av

    from studio.pipelines.lipsync.audio import load_speech

    assert httpx.get(f"{lipsync_url}/health").json()["avatar_ready"] is False
    with open(avatar_file, "rb") as fh:
        pre = httpx.post(f"{lipsync_url}/precompute", files={"avatar": ("me.png", fh)}, timeout=60)
    assert pre.status_code == 200 and pre.json()["status"] == "ok"
    with open(speech, "rb") as fh:  # no avatar: the precomputed one
        response = httpx.post(
            f"{lipsync_url}/generate", files={"audio": ("hello.wav", fh, "audio/wav")}, timeout=120
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "video/mp4"
    video = tmp_path / "talk.mp4"
    video.write_bytes(response.content)
    with av.open(str(video)) as container:
        v, a = container.streams.video[0], container.streams.audio[0]
        assert (v.codec_context.name, a.codec_context.name) == ("h264", "aac")
        assert v.average_rate == 25
        frames = sum(1 for _ in container.decode(video=0))
        duration = float(container.duration) / av.time_base
    speech_s = load_speech(speech).duration_s
    assert abs(duration - speech_s) < 0.2 and abs(frames / 25 - speech_s) < 0.1
    stats = httpx.get(f"{lipsync_url}/stats").json()
    assert stats["renders"] == 1 and stats["jobs"]["done"] >= 2


def test_lipsync_generate_refuses_bad_input_with_a_message(lipsync_url, avatar_file):
    with open(avatar_file, "rb") as fh:
        response = httpx.post(f"{lipsync_url}/generate", files={"audio": ("x.exe", fh)})
    assert response.status_code == 422 and "speech audio" in response.json()["detail"]
    response = httpx.post(
        f"{lipsync_url}/generate",
        files={"audio": ("a.wav", b"RIFF0000WAVEjunk"), "avatar": ("f.png", b"not a png")},
        timeout=60,
    )
    assert response.status_code == 422 and response.json()["detail"]
    assert "Traceback" not in response.text


def jpeg(array, quality=90):
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def read_mjpeg_parts(response, count):
    """The first ``count`` JPEG parts of a multipart/x-mixed-replace stream."""
    buffer, parts = b"", []
    for chunk in response.iter_bytes():
        buffer += chunk
        while True:
            head = buffer.find(b"\r\n\r\n")
            if head < 0:
                break
            headers = buffer[:head].decode()
            length = int(headers.split("Content-Length: ")[1].split("\r\n")[0])
            if len(buffer) < head + 4 + length:
                break
            parts.append(buffer[head + 4 : head + 4 + length])
            buffer = buffer[head + 4 + length + 2 :]
            if len(parts) == count:
                return parts
    return parts


def test_websocket_frames_round_trip_and_mjpeg_serves_them(server, photo):
    import websockets.sync.client

    port = server.url.rsplit(":", 1)[1]
    with websockets.sync.client.connect(f"ws://127.0.0.1:{port}/api/ws/alice") as ws:
        ws.send(json.dumps({"prompt": "a watercolour", "width": 64, "height": 64, "seed": 2}))
        reply = json.loads(ws.recv(timeout=10))
        assert reply["status"] == "ok" and reply["settings"]["width"] == 64
        ws.send(json.dumps({"prompt": "nude"}))
        assert "refused" in json.loads(ws.recv(timeout=10))["message"]
        ws.send(jpeg(photo))
        first = Image.open(io.BytesIO(ws.recv(timeout=60)))
        assert first.format == "JPEG" and first.size == (64, 64)
        ws.send(b"not a jpeg")
        assert json.loads(ws.recv(timeout=10))["status"] == "error"

        with httpx.stream(
            "GET", f"{server.url}/api/stream/alice?quality=60&max_fps=20", timeout=30
        ) as response:
            assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
            sender = threading.Thread(target=lambda: (ws.send(jpeg(photo[::-1].copy())), ws.recv()))
            sender.start()
            parts = read_mjpeg_parts(response, 2)  # the latest frame, then the next one
            sender.join(60)
    assert len(parts) == 2
    for part in parts:
        assert Image.open(io.BytesIO(part)).size == (64, 64)
    queue = httpx.get(f"{server.url}/api/queue").json()
    assert queue["queue_size"] == 0 and queue["users"] >= 1
    settings = httpx.get(f"{server.url}/api/settings").json()
    assert "prompt" in settings["settable"] and settings["settings"]["model_id"] == "sd-turbo"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="apt-get install chromium")
def test_live_page_shows_frames_from_the_server_in_chromium(server, tmp_path):
    import base64

    import websockets.sync.client

    debug_port = free_port()
    page = f"{server.url}/live?user=browser&size=64"
    browser = subprocess.Popen(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--remote-debugging-port={debug_port}",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=900,820",
            page,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        target = None
        while target is None:
            assert time.monotonic() < deadline, "chromium did not start"
            try:
                pages = httpx.get(f"http://127.0.0.1:{debug_port}/json").json()
                target = next((p for p in pages if p.get("url", "").startswith(page)), None)
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        with websockets.sync.client.connect(target["webSocketDebuggerUrl"], max_size=2**26) as cdp:
            counter = iter(range(1, 10_000))

            def call(method, **params):
                ident = next(counter)
                cdp.send(json.dumps({"id": ident, "method": method, "params": params}))
                while True:
                    message = json.loads(cdp.recv(timeout=30))
                    if message.get("id") == ident:
                        return message.get("result", {})

            frames = 0
            deadline = time.monotonic() + 90
            while frames < 3:
                assert time.monotonic() < deadline, "the page showed no frames from the server"
                result = call(
                    "Runtime.evaluate",
                    expression="parseInt(document.getElementById('output').dataset.frames||'0')",
                )
                frames = result["result"].get("value", 0)
                time.sleep(0.3)
            status = call(
                "Runtime.evaluate", expression="document.getElementById('status').textContent"
            )
            assert "frames received" in status["result"]["value"]
            shot = call("Page.captureScreenshot", format="png")
        path = tmp_path / "live_page.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        print(f"screenshot: {path}")
        image = np.asarray(Image.open(path).convert("RGB"))
        assert image.shape[0] > 300 and image.std() > 5
    finally:
        browser.terminate()
        browser.wait(20)


def test_live_stream_runs_over_the_websocket_through_execute(server, model_store, photo):
    from studio.pipelines.live.jobs import LiveStreamRequest
    from studio.pipelines.live.session import LiveControls, LiveSettings
    from studio.remote.client import remote_jobs
    from studio.services.execute import execute
    from studio.services.model_cache import ModelCache

    controls = LiveControls(LiveSettings(prompt="a cat", width=64, height=64, max_skip=0))
    frames, previews = [], []

    def source():
        if len(frames) == 1:
            controls.update(prompt="a dog")  # while frame 2 is being sent: frame 3 has it
        return photo

    request = LiveStreamRequest(
        controls=controls, source=source, max_frames=3, on_frame=frames.append
    )
    jobs = remote_jobs(server.url)
    assert set(jobs) >= {"canvas.remove", "lipsync.render", "headshots.pack", "live.stream"}
    result = execute(
        "live.stream",
        request,
        store=model_store,
        cache=ModelCache(),
        jobs=jobs,
        progress=lambda update: previews.append(update.preview),
    )
    assert result.frames == result.rendered == 3 and len(frames) == 3
    assert [f.prompt for f in frames] == ["a cat", "a cat", "a dog"]
    assert all(f.image.shape == (64, 64, 3) for f in frames)
    assert previews and all(p.size == (64, 64) for p in previews if p is not None)
