"""The client of ``studio serve``: :class:`StudioClient` speaks the job API, and
:class:`RemoteRunner` runs a job kind on the server behind the local runner signature.

``RemoteRunner(client, "canvas.remove")(request, ctx)`` does what the local
``canvas.remove`` does, elsewhere: it uploads each input once (by content hash), submits the
job, turns the server's events into ``ctx.progress`` calls (previews included), forwards
``ctx.cancel`` as ``DELETE``, reconnects with ``Last-Event-ID`` when the connection drops (the
server replays what was missed; nothing already received is lost), then downloads the result
and writes its files where the local run would have written them.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput, Cancelled, StudioError
from studio.remote.codec import Decoder, Encoder, WireError, preview_from_wire
from studio.remote.wire import error_from_wire, prepare_request

TERMINAL = ("done", "failed", "cancelled")
RECONNECT_STAGE = "Connection to the server lost: reconnecting"


class ServerUnavailable(StudioError):
    """The server cannot be reached (or stopped answering for too long)."""


@dataclass(frozen=True)
class ServerEvent:
    id: int
    event: str
    data: dict[str, Any]


class StudioClient:
    """HTTP access to one server; thread-safe (the cancel watcher shares it)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: Any = None,
    ) -> None:
        """``transport``: an ``httpx`` transport (a proxy, a unix socket, a flaky network)."""
        import httpx

        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(timeout, read=timeout),
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnavailable(
                f"The Studio server at {self.url} cannot be reached. Is `studio serve` running?",
                repr(exc),
            ) from exc
        check(response)
        return response

    def health(self) -> dict[str, Any]:
        return self._send("GET", "/health").json()  # type: ignore[no-any-return]

    def upload(self, data: bytes) -> str:
        """Send ``data`` unless the server already has it; its sha256."""
        sha = hashlib.sha256(data).hexdigest()
        if self.http.head(f"/v1/uploads/{sha}").status_code != 200:
            sent = self._send("POST", "/v1/uploads", content=data).json()["sha256"]
            if sent != sha:
                raise ServerUnavailable("The upload arrived damaged; try again.")
        return sha

    def upload_file(self, path: Path) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        if self.http.head(f"/v1/uploads/{sha}").status_code != 200:
            with open(path, "rb") as fh:
                self._send("POST", "/v1/uploads", content=fh)
        return sha

    def submit(self, kind: str, request: Any, priority: str = "normal") -> str:
        body = {"kind": kind, "request": request, "priority": priority}
        return str(self._send("POST", "/v1/jobs", json=body).json()["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        return self._send("GET", f"/v1/jobs/{job_id}").json()  # type: ignore[no-any-return]

    def cancel(self, job_id: str) -> None:
        self._send("DELETE", f"/v1/jobs/{job_id}")

    def fetch(self, job_id: str, name: str) -> bytes:
        return self._send("GET", f"/v1/jobs/{job_id}/files/{name}").content  # type: ignore[no-any-return]

    def download(self, job_id: str, name: str, target: Path) -> Path:
        """Stream a result file to ``target`` (via ``.part``: never a half file by its name)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        try:
            with self.http.stream("GET", f"/v1/jobs/{job_id}/files/{name}") as response:
                check(response)
                with open(part, "wb") as fh:
                    for chunk in response.iter_bytes(1 << 20):
                        fh.write(chunk)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
        return target

    def events(self, job_id: str, after: int = 0) -> Iterator[ServerEvent]:
        """The job's events after id ``after``, as they come; ends after the terminal one.
        Raises ``httpx.TransportError`` when the connection drops."""
        import httpx

        headers = {"Last-Event-ID": str(after)} if after else {}
        timeout = httpx.Timeout(30.0, read=60.0)  # the server sends a keep-alive every 10 s
        with self.http.stream(
            "GET", f"/v1/jobs/{job_id}/events", headers=headers, timeout=timeout
        ) as response:
            check(response)
            yield from parse_sse(response.iter_lines())


def check(response: Any) -> None:
    """Raise the user-facing error for a failed response."""
    if response.status_code < 400:
        return
    try:
        response.read()
        detail = str(response.json().get("detail", ""))
    except Exception:
        detail = ""
    if response.status_code == 401:
        raise StudioError("The Studio server refused the token (check --token / Settings).")
    if response.status_code in (413, 422, 400):
        raise BadInput(detail or "The server refused the request.")
    raise StudioError(detail or f"The Studio server answered {response.status_code}.")


def parse_sse(lines: Iterator[str]) -> Iterator[ServerEvent]:
    """Server-sent events from text lines (``id``, ``event``, ``data``; comments skipped)."""
    import json

    event_id, name, data = 0, "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield ServerEvent(event_id, name, json.loads("\n".join(data)))
                if name in TERMINAL:
                    return
            event_id, name, data = 0, "message", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id" and value.isdigit():
                event_id = int(value)
            elif field == "event":
                name = value
            elif field == "data":
                data.append(value)


class RemoteRunner:
    """A runner ``run(request, ctx)`` for ``kind`` that runs on the server behind ``client``.

    ``retry_for_s``: how long to keep reconnecting to a server that dropped the connection
    before giving up with :class:`ServerUnavailable`.
    """

    def __init__(
        self,
        client: StudioClient,
        kind: str,
        *,
        priority: str = "normal",
        retry_for_s: float = 120.0,
    ) -> None:
        self.client, self.kind, self.priority, self.retry_for_s = (
            client,
            kind,
            priority,
            retry_for_s,
        )

    def encode(self, request: Any) -> tuple[Any, dict[str, Path]]:
        """The wire form of ``request`` (its files and arrays uploaded) and where its output
        slots land locally (for :meth:`collect`)."""
        sent, outputs = prepare_request(self.kind, request)
        names: set[str] = set()
        encoder = Encoder(lambda p: self._upload(p, names))
        wire = encoder.encode(sent)
        for data in encoder.blobs.values():
            self.client.upload(data)
        return wire, outputs

    def collect(self, job_id: str, outputs: dict[str, Path]) -> Any:
        """The result of the finished job ``job_id``, its files downloaded into ``outputs``."""
        return self._result(job_id, outputs)

    def __call__(self, request: Any, ctx: Any) -> Any:
        ctx.check()
        wire, outputs = self.encode(request)
        ctx.check()
        job_id = self.client.submit(self.kind, wire, self.priority)
        finished = threading.Event()
        watcher = threading.Thread(
            target=self._forward_cancel, args=(ctx, job_id, finished), daemon=True
        )
        watcher.start()
        try:
            final = self._follow(job_id, ctx)
        except KeyboardInterrupt:  # Ctrl+C in the CLI: the server stops the job too
            try:
                self.client.cancel(job_id)
            except StudioError:
                pass
            raise
        finally:
            finished.set()
            watcher.join()
        if final.event == "cancelled":
            raise Cancelled()
        if final.event == "failed":
            raise error_from_wire(final.data.get("error") or {})
        return self._result(job_id, outputs)

    def _upload(self, path: Path, names: set[str]) -> dict[str, Any]:
        path = Path(path)
        if not path.is_file():
            raise BadInput(f"The file '{path.name}' does not exist.", str(path))
        sha = self.client.upload_file(path)
        name = re.sub(r"[^A-Za-z0-9._ -]", "_", path.name).lstrip(".")[-100:] or "input"
        while name in names:  # two inputs may share a name (selfies from two folders)
            name = f"_{name}"
        names.add(name)
        return {"$t": "upload", "sha256": sha, "name": name}

    def _forward_cancel(self, ctx: Any, job_id: str, finished: threading.Event) -> None:
        while not finished.wait(0.05):
            if ctx.cancel.cancelled:
                try:
                    self.client.cancel(job_id)
                except StudioError:
                    continue  # the connection is down: try again while the job lives
                return

    def _follow(self, job_id: str, ctx: Any) -> ServerEvent:
        """Read events until the terminal one, reconnecting where the stream broke off."""
        import httpx

        last, lost_since = 0, None
        while True:
            try:
                for event in self.client.events(job_id, last):
                    last, lost_since = event.id, None
                    if event.event in TERMINAL:
                        return event
                    if event.event == "progress":
                        d = event.data
                        preview = preview_from_wire(d.get("preview"))
                        ctx.progress(d["stage"], int(d["done"]), int(d["total"]), preview)
            except (httpx.TransportError, ServerUnavailable) as exc:
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > self.retry_for_s:
                    raise ServerUnavailable(
                        f"Lost the connection to the Studio server at {self.client.url}.",
                        repr(exc),
                    ) from exc
                ctx.progress(RECONNECT_STAGE, 0, 0)
                time.sleep(0.5)
                continue
            lost_since = lost_since or time.monotonic()  # the stream ended early: go again

    def _result(self, job_id: str, outputs: dict[str, Path]) -> Any:
        summary = self.client.job(job_id)
        fetched: dict[str, Path] = {}

        def blob(key: str) -> bytes:
            return self.client.fetch(job_id, f"blobs/{key}")

        def file(ref: dict[str, Any]) -> Path:
            if ref.get("$t") == "server_file":
                return Path(str(ref.get("name", "")))
            rel = str(ref.get("path", ""))
            if rel in fetched:
                return fetched[rel]
            slot, _, rest = rel.partition("/")
            if slot not in outputs:
                raise WireError("The server returned a file the request did not ask for.")
            local = outputs[slot] / rest if rest else outputs[slot]
            files = [str(f) for f in ref.get("files") or []]
            for name in files:
                target = (local / name).resolve()
                if not target.is_relative_to(local.resolve()):
                    raise WireError("The server returned a file outside the result folder.")
                self.client.download(job_id, f"out/{rel}/{name}", target)
            if ref.get("dir"):
                local.mkdir(parents=True, exist_ok=True)
            else:
                self.client.download(job_id, f"out/{rel}", local)
            fetched[rel] = local
            return local

        return Decoder(blob, file).decode(summary["result"])


def remote_jobs(url: str, token: str | None = None) -> dict[str, Any]:
    """A ``JOBS`` table that runs every job kind on the server at ``url``: pass it as
    ``execute(..., jobs=remote_jobs(url, token))`` (the GPU thread of a client app) and every
    workspace works unchanged. ``live.stream`` goes over the WebSocket."""
    from studio.pipelines.jobspec import workspace_jobs
    from studio.remote.live_client import RemoteLiveStream
    from studio.remote.wire import LOCAL_ONLY

    client = StudioClient(url, token)
    table: dict[str, Any] = {
        kind: RemoteRunner(client, kind) for kind in workspace_jobs() if kind not in LOCAL_ONLY
    }
    table["live.stream"] = RemoteLiveStream(url, token)
    return table
