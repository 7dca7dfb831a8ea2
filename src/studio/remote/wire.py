"""What each job kind sends besides its request's values: output paths, errors, events.

- :data:`OUTPUT_FIELDS`: request fields naming where a job writes files. The client sends an
  :class:`~studio.remote.codec.OutputSlot` instead of the local path; the server writes into the
  job's folder and the client downloads the files to the path the local run would have used.
- :data:`SERVER_FIELDS`: request fields the server decides (its own caches); sent as ``None``.
- :func:`error_to_wire` / :func:`error_from_wire`: a job's failure as JSON and back into the
  same :class:`~studio.core.errors.StudioError` subclass with the same message (the detail,
  which may hold a traceback, stays in the server's log).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.core import errors
from studio.remote.codec import OutputSlot, WireError


def _pack_folder(request: Any) -> Path:
    from studio.pipelines.headshots.pack import pack_folder

    return pack_folder(request)


OUTPUT_FIELDS: dict[str, dict[str, Callable[[Any], Path]]] = {
    "lipsync.render": {"output": lambda r: Path(r.output)},
    "headshots.pack": {"folder": _pack_folder},
}
SERVER_FIELDS = ("cache_dir",)
# Fields that take "a PIL image, an array, bytes or a path": text in them is a file path,
# which the client uploads and the server never opens as one of its own paths.
FILE_FIELDS = ("image", "mask", "selfies", "avatar", "audio")
# What a live client may change while it streams (the rest is the server's choice).
LIVE_SETTABLE = (
    "prompt",
    "strength",
    "seed",
    "width",
    "height",
    "similarity_threshold",
    "max_skip",
)
LOCAL_ONLY = {
    "live.stream": "A live stream runs over the server's WebSocket (/api/ws/...), not as a job.",
    "headshots.reroll": "Re-rolling an image of a pack runs on the computer that holds the pack.",
    "lipsync.talk": "Talking live runs on this computer: its microphone feed is not sent.",
}


def prepare_request(kind: str, request: Any) -> tuple[Any, dict[str, Path]]:
    """The request as it is sent (outputs as slots, server fields cleared) and where each
    output lands locally, by slot name."""
    if kind in LOCAL_ONLY:
        raise WireError(LOCAL_ONLY[kind])
    if not dataclasses.is_dataclass(request) or isinstance(request, type):
        raise WireError("A job request must be the job's request object.")
    changes: dict[str, Any] = {}
    outputs: dict[str, Path] = {}
    for name, local in OUTPUT_FIELDS.get(kind, {}).items():
        path = local(request)
        # the slot keeps the local extension: the runner checks it (an .mp4 must end so)
        suffix = path.suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", path.suffix) else ""
        outputs[name + suffix] = path
        changes[name] = OutputSlot(name + suffix)
    for name in SERVER_FIELDS:
        if hasattr(request, name):
            changes[name] = None
    for name in FILE_FIELDS:
        value = getattr(request, name, None)
        if isinstance(value, str):
            changes[name] = Path(value)
        elif isinstance(value, list) and any(isinstance(v, str) for v in value):
            changes[name] = [Path(v) if isinstance(v, str) else v for v in value]
    return (dataclasses.replace(request, **changes) if changes else request), outputs


def refuse_text_paths(request: Any) -> None:
    """Server side: :class:`WireError` when a file field holds text (a path on the server
    would be opened); files arrive only as uploads."""
    for name in FILE_FIELDS:
        value = getattr(request, name, None)
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, str) for v in values):
            raise WireError(f"'{name}' must be uploaded, not given as a path on the server.")


_ERRORS: dict[str, type[errors.StudioError]] = {
    cls.__name__: cls
    for cls in (
        errors.StudioError,
        errors.BadInput,
        errors.OutOfMemory,
        errors.Cancelled,
        errors.DownloadFailed,
    )
}


def error_to_wire(exc: BaseException) -> dict[str, Any]:
    """What a client learns of a failure: the class and the user message, never a traceback."""
    if isinstance(exc, errors.ModelMissing):
        return {"type": "ModelMissing", "message": exc.user_message, "model_ids": exc.model_ids}
    if isinstance(exc, errors.StudioError):
        name = next((c.__name__ for c in type(exc).__mro__ if c.__name__ in _ERRORS), "")
        return {"type": name or "StudioError", "message": exc.user_message}
    if isinstance(exc, KeyError):
        return {"type": "BadInput", "message": str(exc.args[0] if exc.args else exc)}
    return {
        "type": "StudioError",
        "message": f"The server could not run the job ({type(exc).__name__}); see its log.",
    }


def error_from_wire(data: dict[str, Any]) -> errors.StudioError:
    """The exception to raise on the client for :func:`error_to_wire`'s dict."""
    message = str(data.get("message") or "The server could not run the job.")
    if data.get("type") == "ModelMissing":
        ids = [str(i) for i in data.get("model_ids") or []] or ["?"]
        exc = errors.ModelMissing(ids[0], more=[(i, "", 0) for i in ids[1:]])
        exc.user_message = message  # the server's wording (names, sizes) is the better one
        exc.args = (message,)
        return exc
    if data.get("type") == "Cancelled":
        return errors.Cancelled(message)
    return _ERRORS.get(str(data.get("type")), errors.StudioError)(message)
