"""``live.stream`` on a server: the live runner's signature over the server's WebSocket.

``RemoteLiveStream(url, token)(request, ctx)`` does what the local ``live.stream`` does: it
reads the newest frame from ``request.source()``, sends it as JPEG, receives the rendered JPEG,
hands a :class:`~studio.pipelines.live.session.LiveFrame` to ``request.on_frame`` and a preview
to ``ctx.progress``, and sends ``request.controls`` changes (prompt, strength...) as they
happen. One frame is in flight at a time, so the stream never queues up latency. Live
sessions never queue behind jobs on the server (they run between a job's steps).
"""

from __future__ import annotations

import io
import json
import secrets
import time
from typing import Any
from urllib.parse import quote

from studio.core.errors import BadInput, StudioError
from studio.remote.wire import LIVE_SETTABLE


class RemoteLiveStream:
    """A ``live.stream`` runner for the server at ``url``."""

    def __init__(self, url: str, token: str | None = None, user_id: str | None = None) -> None:
        base = url.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        user = user_id or secrets.token_hex(6)
        self.ws_url = f"{base}/api/ws/{quote(user)}" + (f"?token={quote(token)}" if token else "")

    def __call__(self, request: Any, ctx: Any) -> Any:
        import websockets.sync.client

        from studio.pipelines.live.jobs import LiveStreamResult
        from studio.pipelines.live.session import LiveFrame

        if request.source is None:
            raise BadInput("A live stream on a server needs a video source (camera or screen).")
        rendered, latency, last, current, sent = 0, 0.0, None, None, None
        try:
            ws = websockets.sync.client.connect(self.ws_url, max_size=2**25, open_timeout=30)
        except Exception as exc:
            msg = "The Studio server's live stream cannot be reached."
            raise StudioError(msg, repr(exc)) from exc
        with ws:
            while request.max_frames <= 0 or rendered < request.max_frames:
                ctx.check()
                settings = request.controls.get()
                if settings != sent:
                    self._send_settings(ws, settings)
                    sent = settings
                new = request.source()
                current = new if new is not None else current
                if current is None:
                    time.sleep(request.idle_sleep_s)
                    continue
                started = time.perf_counter()
                ws.send(_jpeg(current))
                reply = ws.recv(timeout=120)
                if isinstance(reply, str):
                    raise BadInput(
                        json.loads(reply).get("message", "The server refused the frame.")
                    )
                image = _decode(reply)
                rendered += 1
                ms = (time.perf_counter() - started) * 1000
                latency += ms
                last = LiveFrame(image, rendered, False, ms, settings.prompt, "img2img", "server")
                if request.on_frame is not None:
                    request.on_frame(last)
                ctx.progress("Live", rendered, 0, _pil(image))
        return LiveStreamResult(
            frames=rendered,
            rendered=rendered,
            skipped=0,
            mean_latency_ms=latency / rendered if rendered else 0.0,
            last=last,
        )

    @staticmethod
    def _send_settings(ws: Any, settings: Any) -> None:
        ws.send(json.dumps({name: getattr(settings, name) for name in LIVE_SETTABLE}))
        reply = json.loads(ws.recv(timeout=30))
        if reply.get("status") != "ok":
            raise BadInput(reply.get("message", "The server refused the live settings."))


def _jpeg(frame: Any) -> bytes:
    from PIL import Image

    from studio.pipelines.live.frames import to_rgb_array

    buf = io.BytesIO()
    Image.fromarray(to_rgb_array(frame)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _decode(data: bytes) -> Any:
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _pil(image: Any) -> Any:
    from PIL import Image

    return Image.fromarray(image)
