"""Real-time img2img over the network, compatible with the real-time backend's routes:

- ``WebSocket /api/ws/{user_id}``: binary messages are JPEG frames in, each answered with the
  rendered JPEG frame; text messages are JSON settings changes (``{"prompt": ..., "strength":
  ...}``), answered ``{"status": "ok", "settings": {...}}`` or ``{"status": "error", ...}``;
- ``GET /api/stream/{user_id}?quality=&max_fps=``: the user's output frames as MJPEG;
- ``GET /api/settings``: the live settings and their limits; ``GET /api/queue``: load;
- ``GET /live``: a page that streams the browser's webcam through the WebSocket.

Each user has a :class:`~studio.pipelines.live.session.LiveSession` (the live pipeline's own
frame loop, with its similar-frame filter) whose frames run on the GPU thread as calls, ahead
of queued jobs and between a running job's steps. Live sessions never queue behind jobs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import threading
import time
from collections.abc import Iterator
from functools import partial
from importlib import resources
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from studio.core.errors import BadInput, StudioError
from studio.pipelines.live.session import MAX_SIDE, LiveControls, LiveSettings
from studio.remote.wire import LIVE_SETTABLE

SETTABLE = LIVE_SETTABLE
MAX_FRAME_BYTES = 8 * 2**20
MAX_USERS = 64  # users remembered (settings, last frame); idle ones beyond are forgotten


@dataclasses.dataclass
class LiveUser:
    controls: LiveControls
    session: Any = None  # created on the GPU thread at the first frame
    jpeg: bytes | None = None  # the latest output
    image: Any = None  # ...and its pixels, for MJPEG at another quality
    frame_no: int = 0
    frames_in: int = 0
    connected: int = 0


class LiveHub:
    """Live users by id, rendering through ``worker.call`` on the GPU thread."""

    def __init__(self, worker: Any, defaults: LiveSettings | None = None) -> None:
        self.worker = worker
        self.defaults = defaults or LiveSettings(optimise="auto")
        self._users: dict[str, LiveUser] = {}
        self._cond = threading.Condition()
        self._closed = False

    def user(self, user_id: str) -> LiveUser:
        with self._cond:
            if user_id not in self._users:
                idle = [k for k, u in self._users.items() if not u.connected]
                for key in idle[: max(0, len(self._users) + 1 - MAX_USERS)]:
                    del self._users[key]  # the oldest idle users (their last frame) go first
                self._users[user_id] = LiveUser(LiveControls(self.defaults))
            return self._users[user_id]

    def update(self, user_id: str, changes: dict[str, Any]) -> LiveSettings:
        """Apply settings from a client (only :data:`SETTABLE` names); validated here so the
        client learns at once, not at the next frame."""
        from studio.pipelines.live.session import validate

        unknown = set(changes) - set(SETTABLE)
        if unknown:
            raise BadInput(f"Unknown live setting(s): {', '.join(sorted(unknown))}.")
        user = self.user(user_id)
        try:
            candidate = dataclasses.replace(user.controls.get(), **changes)
        except TypeError as exc:
            raise BadInput("The live settings are malformed.") from exc
        validate(candidate)
        return user.controls.update(**changes)

    def render(self, user_id: str, jpeg: bytes) -> Any:
        """A future of the output JPEG for one input JPEG (runs on the GPU thread)."""
        frame = decode_jpeg(jpeg)
        user = self.user(user_id)
        user.frames_in += 1

        def step(ctx: Any) -> bytes:
            from studio.pipelines.live.session import LiveSession

            if user.session is None:
                user.session = LiveSession(ctx, user.controls)
            out = user.session.step(frame)
            data = encode_jpeg(out.image, 85)
            self._publish(user, out.image, data)
            return data

        return self.worker.call(step)

    def _publish(self, user: LiveUser, image: Any, jpeg: bytes) -> None:
        with self._cond:
            user.image, user.jpeg = image, jpeg
            user.frame_no += 1
            self._cond.notify_all()

    def frames(self, user_id: str, quality: int, max_fps: float) -> Iterator[bytes]:
        """Output JPEGs of ``user_id`` as they come (the latest one first, if any)."""
        user = self.user(user_id)
        seen, interval = 0, 1.0 / max_fps if max_fps > 0 else 0.0
        while not self._closed:
            with self._cond:
                self._cond.wait_for(partial(_newer, user, seen, self), timeout=1.0)
                if self._closed:
                    return
                if user.frame_no <= seen:
                    continue
                seen, image, jpeg = user.frame_no, user.image, user.jpeg
            started = time.monotonic()
            if jpeg is not None:
                yield jpeg if quality == 85 or image is None else encode_jpeg(image, quality)
            if interval:
                time.sleep(max(0.0, interval - (time.monotonic() - started)))

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "users": len(self._users),
                "connected": sum(u.connected for u in self._users.values()),
            }

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def _newer(user: LiveUser, seen: int, hub: LiveHub) -> bool:
    return user.frame_no > seen or hub._closed


def decode_jpeg(data: bytes) -> Any:
    """An input frame as an RGB array; size checked before decoding."""
    from PIL import Image

    from studio.core.imageio import check_size

    if len(data) > MAX_FRAME_BYTES:
        raise BadInput("The frame is too large.")
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ("JPEG", "PNG", "WEBP"):
            raise BadInput("A live frame must be a JPEG image.")
        check_size(img.width, img.height, "The frame")
        if max(img.width, img.height) > MAX_SIDE * 2:
            raise BadInput(f"The frame is larger than {MAX_SIDE * 2} pixels.")
        import numpy as np

        return np.asarray(img.convert("RGB"))
    except StudioError:
        raise
    except Exception as exc:
        raise BadInput("The frame is not a readable JPEG image.", str(exc)) from exc


def encode_jpeg(image: Any, quality: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def live_routes(app: FastAPI, state: Any) -> None:
    hub: LiveHub = state.live

    @app.websocket("/api/ws/{user_id}")
    async def live_socket(websocket: WebSocket, user_id: str) -> None:
        await websocket.accept()
        user = hub.user(user_id)
        user.connected += 1
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("bytes") is not None:
                    await _frame(websocket, user_id, message["bytes"])
                elif message.get("text") is not None:
                    await _settings(websocket, user_id, message["text"])
        except WebSocketDisconnect:
            return
        finally:
            user.connected -= 1

    async def _frame(websocket: WebSocket, user_id: str, data: bytes) -> None:
        try:
            out = await asyncio.wrap_future(hub.render(user_id, data))
        except StudioError as exc:
            await websocket.send_text(json.dumps({"status": "error", "message": exc.user_message}))
            return
        await websocket.send_bytes(out)

    async def _settings(websocket: WebSocket, user_id: str, text: str) -> None:
        reply: dict[str, Any]
        try:
            changes = json.loads(text)
            if not isinstance(changes, dict):
                raise BadInput("Send settings as a JSON object.")
            settings = hub.update(user_id, changes)
        except ValueError:
            reply = {"status": "error", "message": "Send settings as a JSON object."}
        except StudioError as exc:
            reply = {"status": "error", "message": exc.user_message}
        else:
            reply = {"status": "ok", "settings": _public(settings)}
        await websocket.send_text(json.dumps(reply))

    @app.get("/api/stream/{user_id}")
    def mjpeg(user_id: str, quality: int = 85, max_fps: float = 30.0) -> Any:
        if not 1 <= quality <= 100 or not 0 <= max_fps <= 120:
            return JSONResponse({"detail": "quality is 1-100, max_fps 0-120."}, 422)

        def parts() -> Iterator[bytes]:
            for jpeg in hub.frames(user_id, quality, max_fps):
                head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                yield head.encode() + jpeg + b"\r\n"

        return StreamingResponse(parts(), media_type="multipart/x-mixed-replace; boundary=frame")

    @app.get("/api/settings")
    def settings() -> dict[str, Any]:
        return {
            "settings": _public(hub.defaults),
            "settable": list(SETTABLE),
            "max_side": MAX_SIDE,
            "frame": "JPEG bytes over the WebSocket",
        }

    @app.get("/api/queue")
    def queue() -> dict[str, Any]:
        return {"queue_size": state.worker.depth, **hub.stats()}

    @app.get("/live")
    def page() -> HTMLResponse:
        html = resources.files("studio.server").joinpath("static/live.html").read_text("utf-8")
        return HTMLResponse(html)


def _public(settings: LiveSettings) -> dict[str, Any]:
    data = dataclasses.asdict(settings)
    data["blocked_terms"] = list(data["blocked_terms"])
    return data
