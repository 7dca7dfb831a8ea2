"""The lipsync service's routes, for its existing clients (``studio serve --lipsync-port 7002``):

- ``GET /health``: ``{"status": "ok", ...}``;
- ``POST /generate`` (multipart): ``audio`` file, optional ``avatar`` (or ``image``) photo,
  optional ``bbox_shift``, ``mouth_scale``, ``smoothing``, ``idle_motion`` fields -> the MP4
  (25 fps, H.264 + AAC). Without a photo, the avatar of the last ``/precompute`` is used;
- ``POST /precompute`` (multipart ``avatar`` or ``image``): prepares (and caches) the avatar,
  which becomes the default for ``/generate``;
- ``GET /stats``: jobs by status, queue length, mean render seconds.

Renders are ordinary ``lipsync.*`` jobs on the same GPU thread, job store and metrics as the
job API; this app only translates the form into a request and waits for the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse

from studio.core.errors import BadInput, StudioError
from studio.remote.wire import error_from_wire
from studio.server.auth import TokenMiddleware
from studio.server.jobs import DONE, PRIORITIES
from studio.server.state import ServerState
from studio.server.uploads import TooLarge, safe_name

AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".ogg", ".flac", ".aac")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def create_lipsync_app(state: ServerState) -> FastAPI:
    """The lipsync-compatible app (its GPU thread is the main app's: not started here)."""
    app = FastAPI(title="Studio lipsync", docs_url=None, redoc_url=None)
    renders: list[float] = []

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge) -> JSONResponse:
        return JSONResponse({"detail": exc.user_message}, status_code=413)

    @app.exception_handler(StudioError)
    async def studio_error(request: Request, exc: StudioError) -> JSONResponse:
        code = 422 if isinstance(exc, BadInput) else 500
        return JSONResponse({"detail": exc.user_message}, status_code=code)

    @app.get("/health")
    def health() -> dict[str, Any]:
        avatar = state.extras.get("lipsync_avatar")
        return {"status": "ok", "device": state.worker.device, "avatar_ready": bool(avatar)}

    @app.get("/stats")
    def stats() -> dict[str, Any]:
        return {
            "jobs": state.jobs.counts(),
            "queue_size": state.worker.depth,
            "renders": len(renders),
            "mean_render_seconds": sum(renders) / len(renders) if renders else None,
        }

    @app.post("/precompute")
    async def precompute(request: Request) -> dict[str, Any]:
        form = await _form(state, request)
        avatar = await _file(state, form, ("avatar", "image"), IMAGE_SUFFIXES, "an avatar photo")
        if avatar is None:
            raise BadInput("Send the avatar photo as the form field 'avatar'.")
        from studio.pipelines.lipsync.avatar import PrepareAvatarRequest

        job = state.jobs.create("lipsync.prepare_avatar", PRIORITIES["interactive"])
        image = state.uploads.materialise(*avatar, job.folder / "in")
        shift = _int(form, "bbox_shift", 0)
        job.request = PrepareAvatarRequest(image=image, bbox_shift=shift)
        await _run(state, job)
        state.extras["lipsync_avatar"] = avatar
        return {"status": "ok", "avatar": job.result["v"]["key"], "bbox_shift": shift}

    @app.post("/generate")
    async def generate(request: Request) -> Any:
        form = await _form(state, request)
        audio = await _file(state, form, ("audio",), AUDIO_SUFFIXES, "the speech audio")
        if audio is None:
            raise BadInput("Send the speech as the form field 'audio'.")
        avatar = await _file(state, form, ("avatar", "image"), IMAGE_SUFFIXES, "an avatar photo")
        avatar = avatar or state.extras.get("lipsync_avatar")
        if avatar is None:
            raise BadInput("Send an avatar photo ('avatar') or POST /precompute one first.")
        from studio.pipelines.lipsync.render import RenderRequest

        job = state.jobs.create("lipsync.render", PRIORITIES["normal"])
        job.request = RenderRequest(
            avatar=state.uploads.materialise(*avatar, job.folder / "in"),
            audio=state.uploads.materialise(*audio, job.folder / "in"),
            output=job.folder / "out" / "output.mp4",
            bbox_shift=_int(form, "bbox_shift", 0),
            mouth_scale=_float(form, "mouth_scale", 1.0),
            smoothing=_float(form, "smoothing", 0.2),
            idle_motion=str(form.get("idle_motion", "true")).lower() not in ("0", "false", "no"),
        )
        await _run(state, job)
        renders.append(job.stage_seconds and sum(job.stage_seconds.values()) or 0.0)
        return FileResponse(job.folder / "out" / "output.mp4", media_type="video/mp4")

    app.add_middleware(TokenMiddleware, token=state.config.token)
    return app


async def _form(state: ServerState, request: Request) -> Any:
    state.uploads.check_length(request.headers.get("content-length"))
    try:
        return await request.form(max_part_size=state.config.max_upload_bytes)
    except Exception as exc:
        raise BadInput("The request is not a readable multipart form.", str(exc)) from exc


async def _file(
    state: ServerState, form: Any, names: tuple[str, ...], suffixes: tuple[str, ...], what: str
) -> tuple[str, str] | None:
    """(sha256, safe name) of the first of ``names`` sent as a file."""
    for name in names:
        item = form.get(name)
        if item is None or isinstance(item, str):
            continue
        filename = Path(str(item.filename or name)).name
        suffix = Path(filename).suffix.lower()
        if suffix not in suffixes:
            raise BadInput(f"'{filename}' is not {what} ({', '.join(suffixes)}).")
        data = await item.read()
        if not data:
            raise BadInput(f"'{filename}' is empty.")
        return state.uploads.put(data), safe_name(f"{name}{suffix}")
    return None


def _int(form: Any, name: str, default: int) -> int:
    try:
        return int(form.get(name, default))
    except (TypeError, ValueError):
        raise BadInput(f"'{name}' must be a whole number.") from None


def _float(form: Any, name: str, default: float) -> float:
    try:
        return float(form.get(name, default))
    except (TypeError, ValueError):
        raise BadInput(f"'{name}' must be a number.") from None


async def _run(state: ServerState, job: Any) -> None:
    """Queue ``job`` and wait for it; its error raised as the original kind of error."""
    import anyio

    state.worker.submit(job)
    while not job.events.closed:
        await anyio.to_thread.run_sync(job.events.read, job.events.last_id, 5.0)
    if job.status != DONE:
        raise error_from_wire(job.error or {"type": "Cancelled", "message": "Cancelled."})
