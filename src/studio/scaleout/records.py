"""Job records and event streams in Redis, shared by the gateway and the workers.

A job is a hash ``studio:job:{id}`` (kind, priority, status, times, result, error, stage
seconds) and a stream ``studio:ev:{id}`` of its events. Event ids are the integers the SSE
endpoint hands out (the stream entry ``0-n`` is event ``n``), so ``Last-Event-ID`` replay
reads the stream from there, whichever process wrote the events. Status changes are atomic
(Lua), so a cancel racing a worker's start, or a message delivered twice, never runs or ends a
job twice.
"""

from __future__ import annotations

import json
import time
from typing import Any

from studio.scaleout.broker import PREFIX
from studio.server.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Event

# Append one event with the next id; nothing after the final one. -> the event's id
_APPEND = """
if redis.call('HGET', KEYS[3], 'closed') == '1' then
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
local n = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], '0-' .. n, 'e', ARGV[1], 'd', ARGV[2])
if ARGV[3] == '1' then redis.call('HSET', KEYS[3], 'closed', '1') end
if tonumber(ARGV[4]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[4]); redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return n
"""
# Move a job to ARGV[1] when its status is one of ARGV[2..]. -> {1 or 0, the old status}
_TRANSITION = """
local old = redis.call('HGET', KEYS[1], 'status')
if not old then return {0, ''} end
for i = 2, #ARGV do
  if ARGV[i] == old then
    redis.call('HSET', KEYS[1], 'status', ARGV[1])
    return {1, old}
  end
end
return {0, old}
"""
JSON_FIELDS = ("result", "error", "stage_seconds", "wire")


def job_key(job_id: str) -> str:
    return f"{PREFIX}job:{job_id}"


def cancel_key(job_id: str) -> str:
    return f"{PREFIX}cancel:{job_id}"


FINISHED_LIST = f"{PREFIX}finished"  # ids of ended jobs, for the gateway's metrics
QUEUED_SET = f"{PREFIX}queued"  # ids of jobs sent and not started (see gateway.reconcile)


class Records:
    """Job records over one redis client."""

    def __init__(self, redis: Any, ttl_s: float = 3600.0) -> None:
        self.redis = redis
        self.ttl_s = ttl_s
        self._append = redis.register_script(_APPEND)
        self._transition = redis.register_script(_TRANSITION)

    def create(self, job_id: str, kind: str, priority: int, **extra: Any) -> None:
        fields = {"kind": kind, "priority": priority, "status": QUEUED, "created": time.time()}
        self.redis.hset(job_key(job_id), mapping={**fields, **extra})

    def exists(self, job_id: str) -> bool:
        return bool(self.redis.exists(job_key(job_id)))

    def read(self, job_id: str) -> dict[str, Any]:
        """The record with its JSON fields decoded; ``KeyError`` when there is none."""
        raw = self.redis.hgetall(job_key(job_id))
        if not raw:
            raise KeyError(job_id)
        record: dict[str, Any] = {k.decode(): v.decode() for k, v in raw.items()}
        for name in JSON_FIELDS:
            record[name] = json.loads(record[name]) if name in record else None
        for name in ("created", "started", "finished"):
            record[name] = float(record[name]) if record.get(name) else None
        record["priority"] = int(record.get("priority", 1))
        return record

    def status(self, job_id: str) -> str | None:
        value = self.redis.hget(job_key(job_id), "status")
        return value.decode() if value is not None else None

    def update(self, job_id: str, **fields: Any) -> None:
        encoded = {
            k: json.dumps(v) if k in JSON_FIELDS else ("" if v is None else v)
            for k, v in fields.items()
        }
        self.redis.hset(job_key(job_id), mapping=encoded)

    def transition(self, job_id: str, to: str, *allowed_from: str) -> tuple[bool, str]:
        """Set the status to ``to`` if it is one of ``allowed_from``; (changed, old status)."""
        changed, old = self._transition(keys=[job_key(job_id)], args=[to, *allowed_from])
        return bool(changed), old.decode() if isinstance(old, bytes) else str(old)

    def finish(
        self,
        job_id: str,
        status: str,
        error: dict[str, Any] | None = None,
        allowed_from: tuple[str, ...] = (QUEUED, RUNNING),
    ) -> bool:
        """End a job whose status is one of ``allowed_from``: its final event, its expiry, the
        finished list. ``False`` when it had not (ended already: a duplicate delivery, a
        cancel that lost the race)."""
        changed, _old = self.transition(job_id, status, *allowed_from)
        if not changed:
            return False
        self.redis.srem(QUEUED_SET, job_id)
        self.update(job_id, finished=time.time(), error=error)
        self.events(job_id).append(status, {"status": status, "error": error}, final=True)
        self.redis.rpush(FINISHED_LIST, job_id)
        for key in (job_key(job_id), cancel_key(job_id)):
            self.redis.expire(key, int(self.ttl_s))
        return True

    def request_cancel(self, job_id: str) -> None:
        self.redis.set(cancel_key(job_id), "1", ex=int(self.ttl_s))

    def cancel_requested(self, job_id: str) -> bool:
        return bool(self.redis.exists(cancel_key(job_id)))

    def events(self, job_id: str) -> RedisEventLog:
        return RedisEventLog(self, job_id)


class RedisEventLog:
    """The :class:`~studio.server.jobs.EventLog` interface over a job's Redis stream."""

    def __init__(self, records: Records, job_id: str) -> None:
        self.records, self.job_id = records, job_id
        self.stream = f"{PREFIX}ev:{job_id}"
        self.counter = f"{PREFIX}evn:{job_id}"

    def append(self, event: str, data: dict[str, Any], *, final: bool = False) -> int:
        ttl = int(self.records.ttl_s) if final else 0
        keys = [self.stream, self.counter, job_key(self.job_id)]
        args = [event, json.dumps(data), "1" if final else "0", ttl]
        return int(self.records._append(keys=keys, args=args))

    def read(self, after: int, timeout: float) -> list[Event]:
        """Events with an id above ``after``; waits up to ``timeout`` s for the first one."""
        redis = self.records.redis
        if self.closed and after >= self.last_id:
            return []
        start = f"0-{max(0, after)}"
        found = redis.xread({self.stream: start}, block=max(1, int(timeout * 1000)))
        if not found:
            return []
        out = []
        for entry_id, fields in found[0][1]:
            n = int(entry_id.decode().partition("-")[2])
            out.append(Event(n, fields[b"e"].decode(), json.loads(fields[b"d"])))
        return out

    @property
    def closed(self) -> bool:
        return self.records.redis.hget(job_key(self.job_id), "closed") == b"1"

    @property
    def last_id(self) -> int:
        return int(self.records.redis.get(self.counter) or 0)


ENDED = (DONE, FAILED, CANCELLED)
