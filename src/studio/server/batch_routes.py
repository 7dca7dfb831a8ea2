"""The batch API of a gateway with a broker (``studio serve --broker``):

- ``POST /v1/batches`` ``{"kind", "packs": [{"name", "request"}], "priority": "batch"}`` ->
  202 ``{"id", "jobs": {name: job id}}``: every pack is checked like ``POST /v1/jobs`` first;
- ``GET /v1/batches/{id}``: counts of the whole batch, and each pack's status, worker and
  latest progress; each pack is also an ordinary job (events, files, cancel);
- ``DELETE /v1/batches/{id}``: cancel what has not ended.

Without a broker these answer 501: a batch needs workers to spread over.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from studio.core.errors import BadInput
from studio.server.jobs import PRIORITIES
from studio.server.uploads import RecordingUploads
from studio.server.wire_io import decode_request


def batch_routes(app: FastAPI, state: Any) -> None:
    def batches() -> Any:
        return state.extras.get("batches")

    def unavailable() -> JSONResponse:
        return JSONResponse(
            {"detail": "Batches need workers: start the server with --broker redis://..."},
            status_code=501,
        )

    @app.post("/v1/batches", status_code=202)
    async def create(request: Request) -> Any:
        if batches() is None:
            return unavailable()
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            raise BadInput("The request body is not JSON.") from exc
        if not isinstance(body, dict) or not isinstance(body.get("packs"), list):
            raise BadInput('A batch is {"kind": ..., "packs": [{"name": ..., "request": ...}]}.')
        kind = str(body.get("kind", ""))
        from studio.services.execute import lookup

        try:
            lookup(kind)
        except KeyError:
            raise BadInput(f"The server runs no job of kind '{kind}'.") from None
        priority = str(body.get("priority", "batch"))
        if priority not in PRIORITIES:
            raise BadInput(f"Priority is one of {', '.join(PRIORITIES)}.")
        packs = [_checked(kind, pack, state.uploads) for pack in body["packs"]]
        batch_id = batches().create(kind, packs, priority)
        status = batches().status(batch_id)
        jobs = {p["name"]: p["job"] for p in status["packs"]}
        return JSONResponse({"id": batch_id, "jobs": jobs}, status_code=202)

    @app.get("/v1/batches/{batch_id}")
    def status(batch_id: str) -> Any:
        if batches() is None:
            return unavailable()
        try:
            return batches().status(batch_id)
        except KeyError:
            return JSONResponse({"detail": "No such batch."}, status_code=404)

    @app.delete("/v1/batches/{batch_id}")
    def cancel(batch_id: str) -> Any:
        if batches() is None:
            return unavailable()
        try:
            return {"id": batch_id, "cancelled": batches().cancel(batch_id)}
        except KeyError:
            return JSONResponse({"detail": "No such batch."}, status_code=404)


def _checked(kind: str, pack: Any, uploads: Any) -> tuple[str, Any, set[str]]:
    """(name, wire request, uploads it reads) of one pack, decoded once to check it."""
    if not isinstance(pack, dict) or not isinstance(pack.get("name"), str):
        raise BadInput('Each pack is {"name": ..., "request": ...}.')
    name = pack["name"]
    if not name or len(name) > 128:
        raise BadInput("A pack name is 1 to 128 characters.")
    folder = Path(tempfile.mkdtemp(prefix="studio-check-"))
    try:
        (folder / "in").mkdir()
        (folder / "out").mkdir()
        recording = RecordingUploads(uploads)
        decode_request(SimpleNamespace(kind=kind, folder=folder), pack.get("request"), recording)  # type: ignore[arg-type]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return name, pack.get("request"), recording.used
