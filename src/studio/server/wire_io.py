"""The server's side of the wire: requests into runnable objects, results into files + JSON.

A request may refer to uploads (by sha256) and to output slots; both become paths inside the
job's folder (``in/`` and ``out/``), never a path the client chose. A result's arrays become
blobs in ``blobs/`` and its paths inside ``out/`` become ``result`` references with the list of
files to download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.remote.codec import Decoder, Encoder, WireError, is_blob_key
from studio.remote.wire import refuse_text_paths
from studio.server.jobs import Job
from studio.server.uploads import UploadStore, is_sha256, safe_name


def decode_request(job: Job, wire: Any, uploads: UploadStore) -> Any:
    """The runnable request of ``job`` from its wire form (422-worthy :class:`WireError`s)."""

    def blob(key: str) -> bytes:
        return uploads.read(key.partition(".")[0])

    def file(ref: dict[str, Any]) -> Path:
        tag = ref.get("$t")
        if tag == "upload":
            sha = str(ref.get("sha256", ""))
            if not is_sha256(sha):
                raise WireError("The request refers to an upload by an invalid hash.")
            return uploads.materialise(sha, str(ref.get("name", "")), job.folder / "in")
        if tag == "output":
            return job.folder / "out" / safe_name(ref.get("name"))
        raise WireError("A request may refer only to uploads and output slots.")

    request = Decoder(blob, file).decode(wire)
    expected = request_type(job.kind)
    if expected is not None and not isinstance(request, expected):
        got = "nothing" if request is None else f"a {type(request).__name__}"
        raise WireError(f"A {job.kind} job needs a {expected.__name__} request, not {got}.")
    refuse_text_paths(request)
    return request


def request_type(kind: str) -> type | None:
    """The request dataclass that ``kind``'s runner is annotated to take (None if unknown)."""
    import dataclasses
    import inspect
    import typing

    from studio.pipelines.jobspec import workspace_jobs

    spec = workspace_jobs().get(kind)
    if spec is None:
        return None
    runner = spec.resolve()
    try:
        hints = typing.get_type_hints(runner)
    except Exception:  # an annotation that cannot be evaluated: no check rather than a 500
        return None
    first = next(iter(inspect.signature(runner).parameters), None)
    hint = hints.get(first) if first else None
    return hint if isinstance(hint, type) and dataclasses.is_dataclass(hint) else None


def encode_result(job: Job, result: Any) -> Any:
    """The wire form of ``result``; writes its blobs into the job's ``blobs/`` folder."""
    out = (job.folder / "out").resolve()

    def path(p: Path) -> dict[str, Any]:
        resolved = Path(p).resolve()
        if not resolved.is_relative_to(out):
            return {"$t": "server_file", "name": resolved.name}
        files = (
            sorted(f.relative_to(resolved).as_posix() for f in resolved.rglob("*") if f.is_file())
            if resolved.is_dir()
            else []
        )
        rel = resolved.relative_to(out).as_posix()
        return {"$t": "result", "path": rel, "dir": resolved.is_dir(), "files": files}

    encoder = Encoder(path)
    wire = encoder.encode(result)
    blobs = job.folder / "blobs"
    blobs.mkdir(exist_ok=True)
    for key, data in encoder.blobs.items():
        (blobs / key).write_bytes(data)
    return wire


def job_file(job: Job, name: str) -> Path:
    """A downloadable file of ``job``: a blob or something under ``out/``; ``ValueError`` for
    anything else (``..``, absolute paths, other folders)."""
    parts = Path(name).parts
    if not parts or ".." in parts or Path(name).is_absolute() or "\\" in name:
        raise ValueError(name)
    if parts[0] == "blobs" and len(parts) == 2 and is_blob_key(parts[1]):
        path = job.folder / "blobs" / parts[1]
    elif parts[0] == "out":
        path = job.folder.joinpath(*parts)
        if not path.resolve().is_relative_to((job.folder / "out").resolve()):
            raise ValueError(name)
    else:
        raise ValueError(name)
    if not path.is_file():
        raise FileNotFoundError(name)
    return path
