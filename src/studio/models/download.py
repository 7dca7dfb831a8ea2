"""Downloading models into the store: resumable, hash-verified, cancellable.

URL files stream to ``<name>.part`` in the staging folder, resume with an HTTP Range request,
and are renamed only after their hash matches the catalogue. Hub files go through
huggingface-hub (which verifies them). Only a fully verified folder is committed to the store.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.errors import Cancelled, DownloadFailed
from studio.core.progress import CancelToken, Progress, null_progress
from studio.models.catalogue import ModelEntry, UrlFile
from studio.models.store import ModelStore
from studio.models.verify import hash_tree

log = logging.getLogger(__name__)
CHUNK = 1 << 20

HubDownload = Callable[..., Any]


def download_url(
    file: UrlFile,
    dest: Path,
    *,
    progress: Progress = null_progress,
    cancel: CancelToken | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Fetch ``file.url`` to ``dest``, resuming a previous ``.part``; verify; then rename."""
    cancel = cancel or CancelToken()
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(file.url, headers={"User-Agent": "Studio"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # already complete: fall through to verification
            response = None
        else:
            raise DownloadFailed(f"Download of {file.filename} failed: HTTP {exc.code}.") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadFailed(
            f"Could not reach {file.url} to download {file.filename}. Check the internet "
            f"connection and try again; finished parts are kept and the download resumes.",
            str(exc),
        ) from exc
    if response is not None:
        with response:
            resumed = have and response.status == 206
            if not resumed:
                have = 0  # the server ignored Range: start over
            length = int(response.headers.get("Content-Length") or 0)
            total = have + length if length else file.size_bytes
            with open(part, "ab" if resumed else "wb") as out:
                while True:
                    if cancel.cancelled:
                        raise Cancelled()
                    try:
                        chunk = response.read(CHUNK)
                    except (http.client.IncompleteRead, OSError) as exc:
                        out.write(getattr(exc, "partial", b""))  # keep what arrived
                        raise DownloadFailed(
                            f"The download of {file.filename} was interrupted; run it again "
                            "to resume where it stopped.",
                            str(exc),
                        ) from exc
                    if not chunk:
                        break
                    out.write(chunk)
                    have += len(chunk)
                    progress(f"Downloading {file.filename}", have, max(total, have))
            if length and have < total:  # the connection closed early: keep the part
                raise DownloadFailed(
                    f"The download of {file.filename} was interrupted; run it again "
                    "to resume where it stopped.",
                    f"got {have} of {total} bytes",
                )
    _verify_file(part, file)
    part.replace(dest)
    return dest


def _verify_file(path: Path, file: UrlFile) -> None:
    algorithm, expected = ("sha256", file.sha256) if file.sha256 else ("md5", file.md5)
    h = hashlib.new(algorithm or "sha256")
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    if expected and h.hexdigest() != expected.lower():
        path.unlink(missing_ok=True)  # never keep a corrupt file where it could be resumed
        raise DownloadFailed(
            f"{file.filename} is corrupt (its {algorithm} does not match the catalogue); "
            "it was deleted. Try the download again.",
            f"expected {expected}, got {h.hexdigest()}",
        )


def _hub_files(
    entry: ModelEntry,
    staged: Path,
    progress: Progress,
    cancel: CancelToken,
    hub_download: HubDownload | None,
) -> None:
    assert entry.hub is not None
    if hub_download is None:
        from huggingface_hub import hf_hub_download

        hub_download = hf_hub_download
    files = entry.hub.files
    for i, name in enumerate(files):
        cancel.check()
        progress(f"Downloading {entry.name}", i, len(files))
        try:
            hub_download(
                repo_id=entry.hub.repo,
                filename=name,
                revision=entry.hub.revision,
                repo_type=entry.hub.repo_type,
                local_dir=staged,
            )
        except Exception as exc:  # hub errors come in many classes; all mean "not fetched"
            raise DownloadFailed(
                f"Could not download {name} of {entry.name} from the Hugging Face hub. "
                "Check the internet connection and try again.",
                f"{type(exc).__name__}: {exc}",
            ) from exc
    progress(f"Downloading {entry.name}", len(files), len(files))


def download_model(
    store: ModelStore,
    model_id: str,
    *,
    progress: Progress = null_progress,
    cancel: CancelToken | None = None,
    hub_download: HubDownload | None = None,
) -> Path:
    """Download, verify and install one catalogue model; returns its installed folder."""
    cancel = cancel or CancelToken()
    entry = store.catalogue.get(model_id)
    staged = store.staging_dir(model_id)
    if entry.hub is not None:
        _hub_files(entry, staged, progress, cancel, hub_download)
    for file in entry.urls:
        cancel.check()
        download_url(file, staged / file.filename, progress=progress, cancel=cancel)
    cancel.check()
    progress("Verifying", 0, 1)
    folder = store.commit(model_id, staged, hash_tree(staged))
    progress("Verifying", 1, 1)
    log.info("model %s installed at %s", model_id, folder)
    return folder


@dataclass(frozen=True)
class DownloadRequest:
    model_id: str
    force: bool = False


def run_download(request: DownloadRequest, ctx: Any) -> Path:
    """Job runner for ``models.download`` (runs on the service's I/O thread).

    A model installed meanwhile (e.g. by a second request) is kept, not fetched again."""
    if ctx.store.is_installed(request.model_id) and not request.force:
        return ctx.store.model_dir(request.model_id)  # type: ignore[no-any-return]
    return download_model(ctx.store, request.model_id, progress=ctx.progress, cancel=ctx.cancel)
