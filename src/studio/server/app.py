"""The job API of ``studio serve`` (FastAPI): one small surface every client uses.

- ``POST /v1/uploads`` (raw body) -> ``{"sha256", "size"}``; ``HEAD /v1/uploads/{sha256}``
  says whether the server already has it (a client uploads each input once);
- ``POST /v1/jobs`` ``{"kind", "request", "priority"}`` -> 202 ``{"id"}``;
- ``GET /v1/jobs/{id}``: status, result (wire form), error;
- ``GET /v1/jobs/{id}/events``: server-sent events (``id:`` on each; ``Last-Event-ID`` or
  ``?last_event_id=`` replays what a reconnecting client missed), ending with ``done``,
  ``failed`` or ``cancelled``;
- ``DELETE /v1/jobs/{id}``: cancel, queued or running;
- ``GET /v1/jobs/{id}/files/{name}``: a result file (HTTP Range, for videos);
- ``GET /health``, ``GET /metrics``; the live routes come from :mod:`studio.server.live`.

Bad input answers 422 with ``{"detail": message}``, an oversized upload 413, a missing token
401; no traceback ever reaches a client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse

from studio.core.errors import BadInput, StudioError
from studio.server.auth import TokenMiddleware
from studio.server.jobs import PRIORITIES
from studio.server.state import ServerState
from studio.server.uploads import RecordingUploads, TooLarge
from studio.server.wire_io import decode_request

log = logging.getLogger(__name__)
SSE_WAIT_S = 10.0  # a comment line this often keeps proxies and clients from timing out


def create_app(state: ServerState, *, manage: bool = True) -> FastAPI:
    """The ASGI app over ``state``; with ``manage`` its GPU thread starts and stops with it."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        if manage:
            state.start()
        yield
        if manage:
            state.stop()

    app = FastAPI(title="Studio server", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.studio = state
    _errors(app)
    _job_routes(app, state)
    from studio.server.live import live_routes

    live_routes(app, state)
    from studio.server.batch_routes import batch_routes

    batch_routes(app, state)
    app.add_middleware(TokenMiddleware, token=state.config.token)
    return app


def _errors(app: FastAPI) -> None:
    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge) -> JSONResponse:
        return JSONResponse({"detail": exc.user_message}, status_code=413)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own answer is a list of dicts; every client reads "detail" as a sentence.
        first = exc.errors()[0] if exc.errors() else {}
        name = str((first.get("loc") or ["request"])[-1])
        message = f"'{name}': {first.get('msg', 'not valid')}."
        return JSONResponse({"detail": message}, status_code=422)

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> JSONResponse:
        return JSONResponse({"detail": exc.user_message}, status_code=422)

    @app.exception_handler(StudioError)
    async def studio_error(request: Request, exc: StudioError) -> JSONResponse:
        return JSONResponse({"detail": exc.user_message}, status_code=500)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request %s failed", request.url.path, exc_info=exc)
        return JSONResponse({"detail": "The server failed; see its log."}, status_code=500)


def _job(state: ServerState, job_id: str) -> Any:
    try:
        return state.jobs.get(job_id)
    except KeyError:
        return None


def _not_found(what: str = "No such job (it may have expired).") -> JSONResponse:
    return JSONResponse({"detail": what}, status_code=404)


def _job_routes(app: FastAPI, state: ServerState) -> None:
    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "device": state.worker.device, "queue": state.worker.depth}

    @app.get("/metrics")
    def metrics() -> Response:
        body, content_type = state.metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/api/live/endpoint")
    def live_endpoint(request: Request) -> Any:
        """Where a client opens its live WebSocket: a live worker (live never queues), or
        this server itself when it runs its own GPU."""
        finder = getattr(state.worker, "live_endpoint", None)
        url = str(request.base_url).rstrip("/") if finder is None else finder()
        if url is None:
            return JSONResponse({"detail": "No live worker is running."}, status_code=503)
        ws = "ws" + url[4:] if url.startswith("http") else url
        return {"url": url, "websocket": ws + "/api/ws/{user_id}", "direct": finder is None}

    @app.get("/v1/workers")
    def workers() -> Any:
        """The queue's workers (busy, idle or gone); 501 without a broker."""
        lister = getattr(state.worker, "workers", None)
        if lister is None:
            return JSONResponse({"detail": "This server runs its own GPU."}, status_code=501)
        return {"workers": lister()}

    @app.post("/v1/uploads")
    async def upload(request: Request) -> dict[str, Any]:
        state.uploads.check_length(request.headers.get("content-length"))
        sha, size = await state.uploads.receive(request.stream())
        return {"sha256": sha, "size": size}

    @app.head("/v1/uploads/{sha}")
    def has_upload(sha: str) -> Response:
        return Response(status_code=200 if state.uploads.has(sha) else 404)

    @app.post("/v1/jobs", status_code=202)
    async def submit(request: Request) -> Any:
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            raise BadInput("The request body is not JSON.") from exc
        if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
            raise BadInput('A job is {"kind": ..., "request": ...}.')
        kind = body["kind"]
        from studio.services.execute import lookup

        try:
            lookup(kind)
        except KeyError:
            raise BadInput(f"The server runs no job of kind '{kind}'.") from None
        priority = PRIORITIES.get(str(body.get("priority", "normal")))
        if priority is None:
            raise BadInput(f"Priority is one of {', '.join(PRIORITIES)}.")
        job = state.jobs.create(kind, priority)
        try:
            uploads = RecordingUploads(state.uploads)
            job.request = decode_request(job, body.get("request"), uploads)  # type: ignore[arg-type]
            job.wire, job.inputs = body.get("request"), uploads.used
        except BaseException:
            state.jobs.discard(job)
            raise
        state.worker.submit(job)
        return JSONResponse({"id": job.id, "status": job.status}, status_code=202)

    @app.get("/v1/jobs/{job_id}")
    def job_status(job_id: str) -> Any:
        job = _job(state, job_id)
        return _not_found() if job is None else job.summary()

    @app.delete("/v1/jobs/{job_id}")
    def cancel(job_id: str) -> Any:
        job = _job(state, job_id)
        if job is None:
            return _not_found()
        return {"id": job.id, "cancelled": state.worker.cancel(job), "status": job.status}

    @app.get("/v1/jobs/{job_id}/events")
    def events(job_id: str, request: Request, last_event_id: int | None = None) -> Any:
        job = _job(state, job_id)
        if job is None:
            return _not_found()
        header = request.headers.get("last-event-id", "")
        after = int(header) if header.isdigit() else (last_event_id or 0)
        return StreamingResponse(
            _sse(job, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/v1/jobs/{job_id}/files/{name:path}")
    def files(job_id: str, name: str) -> Any:
        job = _job(state, job_id)
        if job is None:
            return _not_found()
        try:
            path = state.jobs.local_file(job, name)
        except ValueError:
            return JSONResponse({"detail": "Not a file of this job."}, status_code=400)
        except FileNotFoundError:
            return _not_found("The job has no such file.")
        return FileResponse(path, filename=path.name)


def _sse(job: Any, after: int) -> Iterator[str]:
    """A sync generator (Starlette runs it in a worker thread): it blocks on the job's log."""
    last = after
    while True:
        batch = job.events.read(last, SSE_WAIT_S)
        if not batch:
            if not job.events.closed:
                yield ": keep-alive\n\n"
                continue
            # Closed after the read came back empty (another process may write the log):
            # the closing event is there now.
            batch = job.events.read(last, 0)
            if not batch:
                return
        for event in batch:
            last = event.id
            yield f"id: {event.id}\nevent: {event.event}\ndata: {json.dumps(event.data)}\n\n"
        if job.events.closed and last >= job.events.last_id:
            return
