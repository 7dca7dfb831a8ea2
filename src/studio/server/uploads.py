"""Content-addressed uploads: a client sends each input once, then refers to it by sha256.

The size limit is enforced from ``Content-Length`` before the body is read and again while it
streams in (a client may lie or send chunked data); the file appears under its hash only when
complete. Uploads expire ``ttl_s`` after their last use.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

from studio.core.errors import BadInput, StudioError
from studio.remote.codec import WireError


class TooLarge(StudioError):
    """An upload above the server's limit (HTTP 413)."""


SAFE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._- ")


def safe_name(name: object) -> str:
    """A client-given file name that is a plain name: no folders, no ``..``, no odd characters;
    :class:`WireError` (HTTP 422) otherwise."""
    text = str(name or "")
    if (
        not text
        or len(text) > 128
        or text in (".", "..")
        or text.startswith(".")
        or not set(text) <= SAFE_CHARS
    ):
        raise WireError(
            f"'{text[:60]}' is not an acceptable file name (letters, digits, '.', '-', '_' and "
            "spaces only; no folders)."
        )
    return text


def is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class UploadStore:
    """Files by sha256 under ``folder``."""

    def __init__(self, folder: Path, max_bytes: int, ttl_s: float = 24 * 3600.0) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s

    def check_length(self, content_length: str | None) -> None:
        """Refuse a body announced as too large before reading any of it."""
        if content_length is not None and content_length.isdigit():
            if int(content_length) > self.max_bytes:
                raise TooLarge(self._too_large())

    def _too_large(self) -> str:
        return f"The upload is larger than the server's limit of {self.max_bytes // 2**20} MiB."

    async def receive(self, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
        """Store a streamed body; its (sha256, size)."""
        digest, size = hashlib.sha256(), 0
        tmp = self.folder / f".{secrets.token_hex(8)}.part"
        try:
            with open(tmp, "wb") as fh:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(self._too_large())
                    digest.update(chunk)
                    fh.write(chunk)
            if size == 0:  # no file is empty on purpose: say so now, not when a job reads it
                raise BadInput("The upload is empty: send the file's bytes as the body.")
            sha = digest.hexdigest()
            os.replace(tmp, self.folder / sha)
        finally:
            tmp.unlink(missing_ok=True)
        return sha, size

    def put(self, data: bytes) -> str:
        """Store bytes the server itself received (the lipsync form); their sha256."""
        if len(data) > self.max_bytes:
            raise TooLarge(self._too_large())
        sha = hashlib.sha256(data).hexdigest()
        path = self.folder / sha
        if not path.exists():
            tmp = self.folder / f".{secrets.token_hex(8)}.part"
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return sha

    def has(self, sha: str) -> bool:
        return is_sha256(sha) and (self.folder / sha).is_file()

    def path(self, sha: str) -> Path:
        """The stored file (its expiry restarts); :class:`WireError` when the server has none."""
        if not self.has(sha):
            raise WireError(
                "The request refers to an upload the server does not have (it may have "
                "expired); send the file again."
            )
        path = self.folder / sha
        os.utime(path)
        return path

    def read(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()

    def materialise(self, sha: str, name: str, folder: Path) -> Path:
        """The upload as ``folder/name`` (a hard link when possible), for a pipeline that
        reads a file (and may look at its extension)."""
        return materialise_file(self.path(sha), name, folder)

    def sweep(self) -> int:
        """Delete uploads unused for longer than the TTL."""
        cutoff = time.time() - self.ttl_s
        gone = 0
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    gone += 1
            except OSError:
                continue
        return gone


class RecordingUploads:
    """An :class:`UploadStore` that notes which uploads a request reads (``used``), so a
    queue backend can hand exactly those to the worker that runs the job."""

    def __init__(self, uploads: UploadStore) -> None:
        self.uploads = uploads
        self.used: set[str] = set()

    def read(self, sha: str) -> bytes:
        data = self.uploads.read(sha)
        self.used.add(sha)
        return data

    def materialise(self, sha: str, name: str, folder: Path) -> Path:
        path = self.uploads.materialise(sha, name, folder)
        self.used.add(sha)
        return path


def materialise_file(source: Path, name: str, folder: Path) -> Path:
    """``source`` as ``folder/name`` (a hard link when possible, else a copy); the name made
    safe, and a second input of the same name refused."""
    target = Path(folder) / safe_name(name)
    if target.exists():
        raise BadInput(f"Two inputs of the request are both called '{name}'.")
    try:
        os.link(source, target)
    except OSError:
        target.write_bytes(source.read_bytes())
    return target
