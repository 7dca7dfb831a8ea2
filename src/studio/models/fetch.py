"""Fetching one file over HTTP(S): resumable, size-bounded, hash-verified, cancellable.

Split from :mod:`studio.models.download` so that importing the downloader (the app does, to
register the ``models.download`` runner and for :class:`DownloadRequest`) loads neither
``http.client`` nor ``urllib.request``: this module is imported on the first download.

Safety: an ``Authorization`` header is never forwarded to a redirect on another origin (the
hub redirects to CDNs); a body larger than the expected size (plus a small tolerance) is not
read to the end.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from studio.core.errors import Cancelled, DownloadFailed, format_size
from studio.core.progress import CancelToken, Progress, null_progress
from studio.models.catalogue import UrlFile

log = logging.getLogger(__name__)
CHUNK = 1 << 20

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
