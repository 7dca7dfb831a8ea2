"""The token check, as plain ASGI middleware so it guards HTTP and WebSocket routes alike.

The token may come as ``Authorization: Bearer T``, ``X-Studio-Token: T`` or ``?token=T``
(a browser's WebSocket and ``<img>`` cannot set headers). ``GET /health`` stays open.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from studio.server.state import token_ok

OPEN_PATHS = ("/health",)


class TokenMiddleware:
    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or not self.token:
            return await self.app(scope, receive, send)
        if scope["path"] in OPEN_PATHS or token_ok(self.token, _given(scope)):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return None
        body = json.dumps({"detail": "A valid token is required (see `studio serve`)."}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b"Bearer"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return None


def _given(scope: Any) -> str | None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if "x-studio-token" in headers:
        return headers["x-studio-token"]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None
