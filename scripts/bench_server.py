"""Server benchmark: the same jobs in-process and through ``studio serve`` on 127.0.0.1.

    python scripts/bench_server.py            # CUDA, real-size models (random weights)
    python scripts/bench_server.py --smoke    # CPU, tiny sizes, a minute

Measures ``canvas.remove`` at 1024^2 (LaMa), a 10 s lipsync render (MuseTalk 1.5 parts), and
live img2img frames at 512^2: in-process (``execute`` / ``LiveSession.step`` on this thread)
against a real ``studio serve`` subprocess through the remote runner (upload by hash, SSE,
result download) and the live WebSocket (JPEG in, JPEG out, one frame in flight). Prints one
JSON object; the issue's target is the server path within 10 % + transfer time of in-process.
"""

from __future__ import annotations

import argparse
import io
import json
import os
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
sys.path.insert(0, str(ROOT))  # scripts.bench (model builders) and tests.fixtures

from scripts.bench.harness import Bench  # noqa: E402

SERVER_MODELS = ("lama-big", "sd-turbo", "taesd")


def sync(device: str) -> None:
    """Wait for queued GPU work, so wall-clock timings measure it."""
    Bench(device=device, smoke=False, repeat=1).sync()


def measure(out: dict, name: str, fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - report and go on with the next measurement
        out.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
        out.setdefault("tracebacks", {})[name] = traceback.format_exc(limit=6)
        return None


def build_store(ctx: Any, smoke: bool) -> Any:
    """Lipsync's models (with its stand-in face detector), LaMa and sd-turbo + TAESD, built
    by the bench harness in their published layouts (random weights)."""
    from scripts.bench.lipsync import MODELS as LIPSYNC_MODELS
    from scripts.bench.models import LIPSYNC_DETECTOR, install

    size = "tiny" if smoke else "real"
    install(ctx, size, *LIPSYNC_MODELS, *SERVER_MODELS, using={"antelopev2": LIPSYNC_DETECTOR})
    return ctx.store


def timed(fn: Any, device: str, repeat: int) -> dict[str, float]:
    fn()  # warm-up: loads the models (through the server: and uploads the inputs)
    times = []
    for _ in range(repeat):
        sync(device)
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
    return {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4)}


def photo(side: int) -> Any:
    """A textured test image (gradients + noise) and a mask of a block in it."""
    import numpy as np

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:side, 0:side] / side
    img = np.stack([x, y, (x + y) / 2], axis=2) * 200 + rng.integers(0, 55, (side, side, 3))
    mask = np.zeros((side, side), np.uint8)
    mask[side // 4 : side // 2, side // 3 : side * 2 // 3] = 255
    return img.astype(np.uint8), mask


def start_server(store: Any, tmp: Path, device: str) -> tuple[Any, str]:
    """``studio serve``'s app in a uvicorn thread on 127.0.0.1 (in this process, so the
    stand-in face detector of the lipsync bench applies to the server too)."""
    import socket
    import threading

    import httpx
    import uvicorn

    from studio.server.app import create_app
    from studio.server.state import ServerConfig, build_state

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = ServerConfig(port=port, work_dir=tmp / "server", device=device)
    server = uvicorn.Server(
        uvicorn.Config(create_app(build_state(config, store)), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return (server, thread), url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer /health")


def bench_jobs(
    ctx: Any, client: Any, device: str, smoke: bool, tmp: Path, out: dict, lipsync: bool = True
) -> None:
    from scripts.bench.lipsync import avatar_png, speech_wav

    from studio.pipelines.canvas.remove import RemoveRequest
    from studio.pipelines.lipsync.render import RenderRequest
    from studio.remote.client import RemoteRunner
    from studio.services.execute import execute

    repeat = 2 if smoke else 5
    side = 256 if smoke else 1024
    image, mask = photo(side)
    remove = RemoveRequest(image=image, mask=mask, max_side=side)

    def local(kind: str, request: Any) -> Any:
        return lambda: execute(kind, request, store=ctx.store, cache=ctx.cache, device=ctx.device)

    def remote(kind: str, request: Any) -> Any:
        return lambda: RemoteRunner(client, kind)(request, ctx)

    results: dict[str, Any] = {}
    results["canvas_remove"] = {
        "side": side,
        "in_process": measure(
            out, "remove_local", lambda: timed(local("canvas.remove", remove), device, repeat)
        ),
        "server": measure(
            out, "remove_server", lambda: timed(remote("canvas.remove", remove), device, repeat)
        ),
    }
    if lipsync:
        seconds = 2 if smoke else 10
        avatar = avatar_png(tmp / "avatar.png")
        speech = speech_wav(tmp / "speech.wav", seconds)

        def render(name: str) -> Any:
            return RenderRequest(avatar, speech, tmp / f"{name}.mp4", cache_dir=tmp / "c")

        results["lipsync_render"] = {
            "audio_s": seconds,
            "in_process": measure(
                out,
                "lipsync_local",
                lambda: timed(local("lipsync.render", render("l")), device, repeat),
            ),
            "server": measure(
                out,
                "lipsync_server",
                lambda: timed(remote("lipsync.render", render("r")), device, repeat),
            ),
            "mp4_bytes": (tmp / "r.mp4").stat().st_size if (tmp / "r.mp4").exists() else None,
        }
    # The transfer's CPU part: the wire encoding (PNG, compress level 1) and decoding of the
    # request and of the result, each once, as the client and the server do them.
    removed = local("canvas.remove", remove)()
    results["canvas_remove"]["codec"] = measure(
        out, "remove_codec", lambda: timed(lambda: wire_round_trip(remove, removed), "cpu", repeat)
    )
    for entry in results.values():
        a, b = entry.get("in_process"), entry.get("server")
        if a and b:
            entry["overhead_s"] = round(b["median_s"] - a["median_s"], 4)
            entry["overhead_pct"] = round(100 * (b["median_s"] / a["median_s"] - 1), 1)
            codec = entry.get("codec")
            if codec:
                beyond = entry["overhead_s"] - codec["median_s"]
                entry["overhead_beyond_codec_s"] = round(beyond, 4)
                entry["overhead_beyond_codec_pct"] = round(100 * beyond / a["median_s"], 1)
    out["jobs"] = results


def wire_round_trip(*objects: Any) -> None:
    """Encode and decode each object as the job API does (no HTTP)."""
    from studio.remote.codec import Decoder, Encoder

    for obj in objects:
        encoder = Encoder()
        wire = encoder.encode(obj)
        Decoder(encoder.blobs.__getitem__).decode(wire)


def live_frames(side: int, count: int) -> list[Any]:
    import numpy as np

    base, _ = photo(side)
    rng = np.random.default_rng(0)
    return [
        np.clip(base + rng.integers(-20, 20, base.shape), 0, 255).astype(np.uint8)
        for _ in range(count)
    ]


def jpeg(array: Any) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def bench_live(ctx: Any, url: str, device: str, smoke: bool, out: dict) -> None:
    import websockets.sync.client

    from studio.pipelines.live.session import LiveSession, LiveSettings

    side, count = (64, 8) if smoke else (512, 100)
    frames = live_frames(side, count + 5)
    settings = dict(prompt="a watercolour portrait", width=side, height=side, max_skip=0)
    session = LiveSession(ctx, LiveSettings(**settings, optimise="auto"))
    for frame in frames[:5]:
        session.step(frame)  # warm-up (CUDA graph capture)
    latencies = []
    t0 = time.perf_counter()
    for frame in frames[5:]:
        t = time.perf_counter()
        session.step(frame)
        latencies.append(time.perf_counter() - t)
    local = _live_stats(latencies, time.perf_counter() - t0)
    jpegs = [jpeg(f) for f in frames]
    ws_url = url.replace("http://", "ws://") + "/api/ws/bench"
    with websockets.sync.client.connect(ws_url, max_size=2**24) as ws:
        ws.send(json.dumps(settings))
        json.loads(ws.recv(timeout=60))
        for data in jpegs[:5]:
            ws.send(data)
            ws.recv(timeout=600)
        latencies = []
        t0 = time.perf_counter()
        for data in jpegs[5:]:
            t = time.perf_counter()
            ws.send(data)
            reply = ws.recv(timeout=60)
            assert isinstance(reply, bytes), reply
            latencies.append(time.perf_counter() - t)
        remote = _live_stats(latencies, time.perf_counter() - t0)
    out["live"] = {
        "side": side,
        "frames": count,
        "in_process": local,
        "websocket": remote,
        "jpeg_in_bytes": len(jpegs[-1]),
    }


def _live_stats(latencies: list[float], total: float) -> dict[str, float]:
    return {
        "fps": round(len(latencies) / total, 2),
        "latency_ms_median": round(1000 * statistics.median(latencies), 2),
        "latency_ms_p95": round(1000 * sorted(latencies)[int(0.95 * (len(latencies) - 1))], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny models on the CPU")
    parser.add_argument("--no-live", action="store_true", help="only the queued jobs")
    parser.add_argument("--no-lipsync", action="store_true", help="only the removal job")
    args = parser.parse_args()
    import torch

    from studio.remote.client import StudioClient

    device = "cpu" if args.smoke or not torch.cuda.is_available() else "cuda:0"
    out: dict[str, Any] = {"bench": "server", "smoke": args.smoke, "device": device}
    if device.startswith("cuda"):
        out["gpu"] = torch.cuda.get_device_name(0)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        t = time.perf_counter()
        ctx = Bench(device=device, smoke=args.smoke, repeat=1).context(tmp / "models")
        store = measure(out, "build_models", lambda: build_store(ctx, args.smoke))
        out["build_models_s"] = round(time.perf_counter() - t, 1)
        if store is None:
            print(json.dumps(out))
            return 1
        started = measure(out, "start_server", lambda: start_server(store, tmp, device))
        if started is None:
            print(json.dumps(out))
            return 1
        (server, thread), url = started
        try:
            client = StudioClient(url, timeout=600)
            measure(
                out,
                "jobs",
                lambda: bench_jobs(ctx, client, device, args.smoke, tmp, out, not args.no_lipsync),
            )
            ctx.cache.clear()  # one warm model set per process, as on a real server
            if not args.no_live:
                measure(out, "live", lambda: bench_live(ctx, url, device, args.smoke, out))
            metrics = client.http.get("/metrics").text
            out["metrics_ok"] = all(
                n in metrics
                for n in (
                    "inference_duration_seconds",
                    "jobs_total",
                    "queue_latency_seconds",
                    "gpu_vram_used_bytes",
                )
            )
        finally:
            server.should_exit = True
            thread.join(60)
    out["targets"] = {"server_overhead": "within 10 % + transfer time of in-process"}
    print(json.dumps(out))
    return 0 if "errors" not in out else 1


if __name__ == "__main__":
    sys.exit(main())
