"""Many jobs of one kind as one batch (500 headshot packs overnight), kept in Redis.

A batch is ``studio:batch:{id}`` (kind, created, names in order) and one entry per pack in
``studio:batch:{id}:packs``: its job id, its wire request, the uploads it reads, and whether
its message was sent. Every pack's job record exists before the first message goes out, so a
gateway that stops half-way through sending a batch sends the rest when it starts again
(:meth:`Batches.resume`); packs already sent are in Redis' queues and go on without it.
Progress is read from the packs' job records and event streams.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from studio.core.errors import BadInput
from studio.scaleout.broker import PREFIX
from studio.server.jobs import CANCELLED, DONE, FAILED, PRIORITIES, RUNNING

BATCHES = f"{PREFIX}batches"
MAX_PACKS = 10_000


def batch_key(batch_id: str) -> str:
    return f"{PREFIX}batch:{batch_id}"


def packs_key(batch_id: str) -> str:
    return f"{PREFIX}batch:{batch_id}:packs"


class Batches:
    """Batches over the gateway's job store and queue backend."""

    def __init__(self, jobs: Any, backend: Any) -> None:
        self.jobs, self.backend = jobs, backend
        self.redis = jobs.records.redis

    def create(self, kind: str, packs: list[tuple[str, Any, set[str]]], priority: str) -> str:
        """A batch of ``(name, wire request, uploads it reads)`` packs, already checked:
        :meth:`record`, then the messages."""
        batch_id = self.record(kind, packs, priority)
        self._send_pending(batch_id)
        return batch_id

    def record(self, kind: str, packs: list[tuple[str, Any, set[str]]], priority: str) -> str:
        """Write the batch and its packs' job records, no message sent yet; the batch id."""
        if not packs:
            raise BadInput("A batch needs at least one pack.")
        if len(packs) > MAX_PACKS:
            raise BadInput(f"A batch holds at most {MAX_PACKS} packs.")
        names = [name for name, _, _ in packs]
        if len(set(names)) != len(names):
            raise BadInput("Two packs of the batch have the same name.")
        batch_id = secrets.token_hex(8)
        level = PRIORITIES[priority]
        entries = {}
        for name, wire, inputs in packs:
            job = self.jobs.create(kind, level, batch=batch_id, pack=name)
            entries[name] = json.dumps(
                {"job": job.id, "wire": wire, "inputs": sorted(inputs), "sent": False}
            )
        pipe = self.redis.pipeline()
        pipe.hset(packs_key(batch_id), mapping=entries)
        pipe.hset(
            batch_key(batch_id),
            mapping={"kind": kind, "created": time.time(), "names": json.dumps(names)},
        )
        pipe.sadd(BATCHES, batch_id)
        pipe.execute()
        return batch_id

    def resume(self) -> int:
        """Send the packs of every batch whose messages were not all sent; how many."""
        sent = 0
        for raw in self.redis.smembers(BATCHES):
            batch_id = raw.decode()
            if not self.redis.exists(batch_key(batch_id)):
                self.redis.srem(BATCHES, batch_id)
                continue
            sent += self._send_pending(batch_id)
        return sent

    def _send_pending(self, batch_id: str) -> int:
        sent = 0
        for name, raw in self.redis.hgetall(packs_key(batch_id)).items():
            entry = json.loads(raw)
            if entry["sent"]:
                continue
            try:
                job = self.jobs.get(entry["job"])
            except KeyError:  # its record expired: nothing to resume
                continue
            job.wire, job.inputs = entry["wire"], set(entry["inputs"])
            if job.status not in (CANCELLED, DONE, FAILED):
                self.backend.submit(job)
                sent += 1
            entry["sent"] = True
            self.redis.hset(packs_key(batch_id), name, json.dumps(entry))
        return sent

    def status(self, batch_id: str) -> dict[str, Any]:
        """The batch and each pack: status, worker, runs, latest progress; ``KeyError`` when
        unknown."""
        info = self.redis.hgetall(batch_key(batch_id))
        if not info:
            raise KeyError(batch_id)
        names = json.loads(info[b"names"])
        entries = self.redis.hgetall(packs_key(batch_id))
        packs = []
        counts = {s: 0 for s in ("queued", RUNNING, DONE, FAILED, CANCELLED)}
        for name in names:
            entry = json.loads(entries[name.encode()])
            pack = {"name": name, "job": entry["job"], "sent": entry["sent"]}
            try:
                record = self.jobs.records.read(entry["job"])
            except KeyError:
                pack.update(status="expired")
            else:
                pack.update(
                    status=record["status"],
                    worker=record.get("worker"),
                    runs=int(record.get("runs", 0)),
                    progress=_latest_progress(self.jobs.records.events(entry["job"])),
                )
                counts[record["status"]] = counts.get(record["status"], 0) + 1
            packs.append(pack)
        total = len(names)
        ended = counts[DONE] + counts[FAILED] + counts[CANCELLED]
        if ended == total:  # a finished batch expires with its packs' results
            ttl = int(self.jobs.records.ttl_s)
            self.redis.expire(batch_key(batch_id), ttl)
            self.redis.expire(packs_key(batch_id), ttl)
        return {
            "id": batch_id,
            "kind": info[b"kind"].decode(),
            "created": float(info[b"created"]),
            "total": total,
            "counts": counts,
            "finished": ended == total,
            "packs": packs,
        }

    def cancel(self, batch_id: str) -> int:
        """Cancel every pack of the batch that has not ended; how many."""
        state = self.status(batch_id)
        n = 0
        for pack in state["packs"]:
            if pack["status"] in ("queued", RUNNING):
                n += bool(self.backend.cancel(self.jobs.get(pack["job"])))
        return n


def _latest_progress(events: Any) -> dict[str, Any] | None:
    for _id, fields in events.records.redis.xrevrange(events.stream, count=8):
        if fields.get(b"e") == b"progress":
            data = json.loads(fields[b"d"])
            return {"stage": data["stage"], "done": data["done"], "total": data["total"]}
    return None
