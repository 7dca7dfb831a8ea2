"""Downloading models into the store: resumable, hash-verified, cancellable.

Every file streams to ``<name>.part`` in the staging folder, resumes with an HTTP Range
request, is cancellable between chunks, and is renamed only after its hash matches: the
catalogue's for URL files, the hub's ETag (sha256, or git sha1 for small files) for hub
files, all taken from one commit of the repo. Only a fully verified folder is committed.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import re
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

HubMetadata = Callable[[str], Any]


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
    if dest.exists():  # finished in an earlier, interrupted attempt: keep it if it verifies
        try:
            _verify_file(dest, file)
            return dest
        except DownloadFailed:
            pass  # deleted by the check; fetch again
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(file.url, headers=_headers(file.url))
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


def _headers(url: str) -> dict[str, str]:
    headers = {"User-Agent": "Studio"}
    if url.startswith("https://huggingface.co/"):  # gated repos need the user's token
        try:
            from huggingface_hub import get_token

            token = get_token()
        except Exception:
            token = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
    return headers


def _verify_file(path: Path, file: UrlFile) -> None:
    algorithm, expected = ("sha256", file.sha256) if file.sha256 else ("md5", file.md5)
    if not expected:
        return  # checked by the caller (hub files: git blob sha1)
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


def _git_blob_sha1(path: Path) -> str:
    """The hash git (and so the hub's ETag) uses for small, non-LFS files."""
    h = hashlib.sha1(usedforsecurity=False)
    h.update(f"blob {path.stat().st_size}\0".encode())
    h.update(path.read_bytes())
    return h.hexdigest()


def _hub_metadata(url: str) -> Any:
    from huggingface_hub import get_hf_file_metadata

    return get_hf_file_metadata(url)


def _hub_files(
    entry: ModelEntry,
    staged: Path,
    progress: Progress,
    cancel: CancelToken,
    hub_metadata: HubMetadata | None,
) -> str:
    """Fetch every hub file through the resumable downloader; returns the repo commit.

    The hub's ETag is the file's sha256 for large (LFS/Xet) files and its git blob sha1 for
    small ones; both are checked, so a corrupt or changed file is never committed.
    """
    from huggingface_hub import hf_hub_url

    assert entry.hub is not None
    hub_metadata = hub_metadata or _hub_metadata
    commit = ""
    for i, name in enumerate(entry.hub.files):
        cancel.check()
        progress(f"Downloading {entry.name}", i, len(entry.hub.files))
        url = hf_hub_url(
            entry.hub.repo,
            name,
            revision=commit or entry.hub.revision,
            repo_type=entry.hub.repo_type,
        )
        try:
            meta = hub_metadata(url)
        except Exception as exc:  # hub errors come in many classes; all mean "not fetched"
            raise DownloadFailed(
                f"Could not download {name} of {entry.name} from the Hugging Face hub. "
                "Check the internet connection and try again.",
                f"{type(exc).__name__}: {exc}",
            ) from exc
        commit = commit or (meta.commit_hash or "")  # every file from the same commit
        etag = (meta.etag or "").strip('"').lower()
        sha256 = etag if re.fullmatch(r"[0-9a-f]{64}", etag) else None
        dest = staged / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        file = UrlFile(
            url=meta.location or url, filename=name, sha256=sha256, size_bytes=int(meta.size or 0)
        )
        download_url(file, dest, progress=progress, cancel=cancel)
        if sha256 is None and re.fullmatch(r"[0-9a-f]{40}", etag):
            if _git_blob_sha1(dest) != etag:
                dest.unlink()
                raise DownloadFailed(
                    f"{name} of {entry.name} is corrupt; it was deleted. Try again.",
                    f"git sha1 {etag} expected",
                )
    progress(f"Downloading {entry.name}", len(entry.hub.files), len(entry.hub.files))
    return commit


def download_model(
    store: ModelStore,
    model_id: str,
    *,
    progress: Progress = null_progress,
    cancel: CancelToken | None = None,
    hub_metadata: HubMetadata | None = None,
) -> Path:
    """Download, verify and install one catalogue model; returns its installed folder."""
    cancel = cancel or CancelToken()
    entry = store.catalogue.get(model_id)
    staged = store.staging_dir(model_id)
    commit = ""
    if entry.hub is not None:
        commit = _hub_files(entry, staged, progress, cancel, hub_metadata)
    for file in entry.urls:
        cancel.check()
        download_url(file, staged / file.filename, progress=progress, cancel=cancel)
    cancel.check()
    progress("Verifying", 0, 1)
    folder = store.commit(model_id, staged, hash_tree(staged), source_commit=commit)
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
