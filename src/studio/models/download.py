"""Downloading models into the store: resumable, hash-verified, cancellable.

Every file streams to ``<name>.part`` in the staging folder, resumes with an HTTP Range
request, is cancellable between chunks, and is renamed only after its hash matches: the
catalogue's for URL files, the hub's ETag (sha256, or git sha1 for small files) for hub
files, all taken from one commit of the repo. Only a fully verified folder is committed.

Safety: an ``Authorization`` header is never forwarded to a redirect on another origin (the
hub redirects to CDNs); a body larger than the expected size (plus a small tolerance) is not
read to the end; free disk space is checked before anything is fetched; a hub file whose ETag
is not a hash we can check is refused.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.core.errors import Cancelled, DownloadFailed, format_size
from studio.core.progress import CancelToken, Progress, null_progress
from studio.models.catalogue import ModelEntry, UrlFile
from studio.models.requests import (  # noqa: F401 (bytes_missing: re-exported for callers)
    DownloadRequest,
    bytes_missing,
    check_disk_space,
)
from studio.models.store import ModelStore
from studio.models.verify import hash_tree

log = logging.getLogger(__name__)
CHUNK = 1 << 20

HubMetadata = Callable[[str], Any]
# How far a body may run past its expected size before it is cut off (servers may add a
# little; a much larger body is the wrong file, or hostile).
SIZE_TOLERANCE = 1 << 20
SECRET_HEADERS = ("authorization", "cookie")  # for the origin; a proxy's stay


class _SameOriginAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib, but drops credentials when the origin changes."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) != _origin(req.full_url):
            for key in [k for k in new.headers if k.lower() in SECRET_HEADERS]:
                del new.headers[key]
        return new


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def max_body_bytes(expected: int) -> int | None:
    """The most bytes accepted for a file expected to be ``expected`` long (None: unknown)."""
    return expected + max(SIZE_TOLERANCE, expected // 100) if expected > 0 else None


def download_url(
    file: UrlFile,
    dest: Path,
    *,
    progress: Progress = null_progress,
    cancel: CancelToken | None = None,
    timeout_s: float = 30.0,
    headers: dict[str, str] | None = None,
) -> Path:
    """Fetch ``file.url`` to ``dest``, resuming a previous ``.part``; verify; then rename.

    ``headers`` replace the default ones (the hub token for huggingface.co URLs); they are
    sent to redirects on the same origin only. A body longer than ``file.size_bytes`` plus
    a small tolerance fails (and is deleted) without being read to the end.
    """
    cancel = cancel or CancelToken()
    if dest.exists():  # finished in an earlier, interrupted attempt: keep it if it verifies
        try:
            _verify_file(dest, file)
            return dest
        except DownloadFailed:
            pass  # deleted by the check; fetch again
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(file.url, headers=_headers(file.url, headers))
    if have:
        request.add_header("Range", f"bytes={have}-")
    limit = max_body_bytes(file.size_bytes)
    try:
        opener = urllib.request.build_opener(_SameOriginAuthRedirect)
        response = opener.open(request, timeout=timeout_s)
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
            if limit is not None and total > limit:
                part.unlink(missing_ok=True)
                raise _too_large(file, total)
            try:
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
                        if limit is not None and have + len(chunk) > limit:
                            out.close()
                            part.unlink(missing_ok=True)
                            raise _too_large(file, have + len(chunk))
                        out.write(chunk)
                        have += len(chunk)
                        progress(f"Downloading {file.filename}", have, max(total, have))
            except OSError as exc:  # the disk filled up or the folder became unwritable
                raise DownloadFailed(
                    f"Could not save {file.filename} to {part.parent}: {exc.strerror or exc}. "
                    "Free some disk space and run the download again; it resumes.",
                    str(exc),
                ) from exc
            if length and have < total:  # the connection closed early: keep the part
                raise DownloadFailed(
                    f"The download of {file.filename} was interrupted; run it again "
                    "to resume where it stopped.",
                    f"got {have} of {total} bytes",
                )
    _verify_file(part, file)
    part.replace(dest)
    return dest


def _too_large(file: UrlFile, got: int) -> DownloadFailed:
    return DownloadFailed(
        f"The download of {file.filename} is larger than expected (more than "
        f"{format_size(file.size_bytes)}); it was stopped and deleted. The file on the server "
        "is not the one Studio expects; try again later.",
        f"{got} bytes > {file.size_bytes} expected from {file.url}",
    )


def _headers(url: str, given: dict[str, str] | None = None) -> dict[str, str]:
    if given is not None:
        return dict(given)
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
        if etag.startswith("w/"):
            etag = etag[2:].strip('"')
        sha256 = etag if re.fullmatch(r"[0-9a-f]{64}", etag) else None
        if sha256 is None and not re.fullmatch(r"[0-9a-f]{40}", etag):
            raise DownloadFailed(  # nothing to verify the file against: never install it
                f"The Hugging Face hub gave no checksum for {name} of {entry.name}, so it "
                "cannot be verified; nothing was installed. Try again later.",
                f"unusable ETag {meta.etag!r} for {url}",
            )
        dest = staged / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        # The hub states each file's size; without it, the entry's size bounds any file.
        size = int(meta.size or 0) or entry.size_bytes
        file = UrlFile(url=meta.location or url, filename=name, sha256=sha256, size_bytes=size)
        download_url(file, dest, progress=progress, cancel=cancel)
        if sha256 is None:
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
    check_disk_space(store, [model_id], reinstall=True)  # it is fetched even if installed
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


def run_download(request: DownloadRequest, ctx: Any) -> Path:
    """Job runner for ``models.download`` (runs on the service's I/O thread).

    A model installed meanwhile (e.g. by a second request) is kept, not fetched again."""
    if ctx.store.is_installed(request.model_id) and not request.force:
        return ctx.store.model_dir(request.model_id)  # type: ignore[no-any-return]
    return download_model(ctx.store, request.model_id, progress=ctx.progress, cancel=ctx.cancel)
