"""Downloading models into the store: resumable, hash-verified, cancellable.

Every file streams to ``<name>.part`` in the staging folder, resumes with an HTTP Range
request, is cancellable between chunks, and is renamed only after its hash matches: the
catalogue's for URL files, the hub's ETag (sha256, or git sha1 for small files) for hub
files, all taken from one commit of the repo. Only a fully verified folder is committed.

Safety: an ``Authorization`` header is never forwarded to a redirect on another origin (the
hub redirects to CDNs); a body larger than the expected size (plus a small tolerance) is not
read to the end; free disk space is checked before anything is fetched; a hub file whose ETag
is not a hash we can check is refused.

One file's HTTP transfer is in :mod:`studio.models.fetch`, imported on the first download:
importing this module (the app does at start) loads no HTTP client.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.errors import DownloadFailed, format_size
from studio.core.progress import CancelToken, Progress, null_progress
from studio.models.catalogue import ModelEntry, UrlFile
from studio.models.store import ModelStore
from studio.models.verify import hash_tree

log = logging.getLogger(__name__)

HubMetadata = Callable[[str], Any]


def download_url(file: UrlFile, dest: Path, **options: Any) -> Path:
    """Fetch ``file.url`` to ``dest``, resuming, size-bounded and verified; ``options`` are
    those of :func:`studio.models.fetch.download_url` (progress, cancel, timeout_s, headers).

    The HTTP modules are imported here, on the first download, not when the app starts."""
    from studio.models import fetch

    return fetch.download_url(file, dest, **options)


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


def bytes_missing(store: ModelStore, model_ids: list[str], reinstall: bool = False) -> int:
    """Bytes still to download for ``model_ids``: catalogue sizes of those not installed (all
    of them with ``reinstall``: the old copy stays until the new one is committed), less what
    earlier attempts left in their staging folders (resumed, not fetched again)."""
    total = 0
    for model_id in dict.fromkeys(model_ids):
        if store.is_installed(model_id) and not reinstall:
            continue
        staged = store.root / ".staging" / model_id
        have = sum(p.stat().st_size for p in staged.rglob("*") if p.is_file())
        total += max(0, store.catalogue.get(model_id).size_bytes - have)
    return total


def check_disk_space(store: ModelStore, model_ids: list[str], reinstall: bool = False) -> None:
    """DownloadFailed, before anything is fetched, when the store's disk cannot hold
    ``model_ids`` (with 1% to spare); see :func:`bytes_missing`."""
    needed = bytes_missing(store, model_ids, reinstall)
    if not needed:
        return
    folder = store.root
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the store may not exist yet: ask its nearest existing parent
    free = shutil.disk_usage(folder).free
    if needed + needed // 100 > free:
        raise DownloadFailed(
            f"Not enough free disk space: the download needs {format_size(needed)} but only "
            f"{format_size(free)} is free in {store.root}. Free some space or choose another "
            "models folder in Settings.",
            f"needed {needed} bytes, free {free} bytes",
        )


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
