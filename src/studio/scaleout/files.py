"""Files between the gateway and workers on other machines, through Redis (no shared disk).

Inputs go by hash: the gateway copies each upload a job reads into ``studio:input:{sha256}``
once (``SET NX``, with the upload's expiry); a worker fetches it by that hash into its own
cache, checks the hash, and links it into the job's folder, so a worker fetches an input
once however many jobs use it. Results go back the same way: every file of the job's
``out/`` and ``blobs/`` folders into ``studio:files:{job}``, which the gateway writes into its
job folder when a client asks for the file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput
from studio.remote.codec import WireError
from studio.scaleout.broker import PREFIX
from studio.server.uploads import is_sha256, materialise_file

MAX_RESULT_FILE_BYTES = 500 * 2**20  # Redis strings stop at 512 MiB


def input_key(sha: str) -> str:
    return f"{PREFIX}input:{sha}"


def files_key(job_id: str) -> str:
    return f"{PREFIX}files:{job_id}"


def publish_inputs(redis: Any, uploads: Any, shas: set[str], ttl_s: float) -> None:
    """Copy the uploads ``shas`` into Redis for the workers (each once, refreshed expiry)."""
    for sha in sorted(shas):
        key = input_key(sha)
        if not redis.set(key, uploads.path(sha).read_bytes(), nx=True, ex=int(ttl_s)):
            redis.expire(key, int(ttl_s))


class RedisInputs:
    """A worker's view of the uploads: ``read`` / ``materialise`` like an UploadStore, by
    hash from Redis through a local cache folder."""

    def __init__(self, redis: Any, cache: Path) -> None:
        self.redis = redis
        self.cache = Path(cache)
        self.cache.mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> Path:
        if not is_sha256(sha):
            raise WireError("The request refers to an upload by an invalid hash.")
        local = self.cache / sha
        if local.is_file():
            return local
        data = self.redis.get(input_key(sha))
        if data is None:
            raise WireError("An input of the job is no longer in the queue; submit it again.")
        if hashlib.sha256(data).hexdigest() != sha:
            raise WireError("An input of the job arrived damaged; submit it again.")
        tmp = self.cache / f".{secrets.token_hex(8)}.part"
        tmp.write_bytes(data)
        os.replace(tmp, local)
        return local

    def read(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()

    def materialise(self, sha: str, name: str, folder: Path) -> Path:
        return materialise_file(self.path(sha), name, folder)


def upload_results(redis: Any, job_id: str, folder: Path, ttl_s: float) -> int:
    """Every file under ``folder/out`` and ``folder/blobs`` into the job's Redis hash (names
    relative to ``folder``, e.g. ``out/pack/draft-1.png``); how many."""
    key = files_key(job_id)
    count = 0
    for sub in ("out", "blobs"):
        for path in sorted((folder / sub).rglob("*")) if (folder / sub).is_dir() else []:
            if not path.is_file():
                continue
            if path.stat().st_size > MAX_RESULT_FILE_BYTES:
                raise BadInput(f"A result file ({path.name}) is too large to send back.")
            redis.hset(key, path.relative_to(folder).as_posix(), path.read_bytes())
            count += 1
    if count:
        redis.expire(key, int(ttl_s))
    return count


def pull_result(redis: Any, job_id: str, folder: Path, name: str) -> bool:
    """Write the result file ``name`` (already checked to be a plain path under ``out/`` or
    ``blobs/``) from Redis into ``folder``; ``False`` when Redis has no such file."""
    data = redis.hget(files_key(job_id), name)
    if data is None:
        return False
    target = folder.joinpath(*Path(name).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{secrets.token_hex(6)}.part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return True
