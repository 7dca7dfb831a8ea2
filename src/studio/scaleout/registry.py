"""Which workers are alive, what they hold, and the gauges the gateway's ``/metrics`` adds.

Each worker writes its card into the hash ``studio:workers`` every :data:`HEARTBEAT_S`
seconds from a thread of its own (so it keeps answering while a job runs): name, GPU,
queues, warm models, the job it runs, VRAM in use. A card older than :data:`GONE_AFTER_S`
is a worker that stopped answering: shown as gone, and its job comes back to the queue when
its lease runs out. The same beat renews that lease (the message's score in kombu's
``unacked_index``), so only a dead worker's job is handed out again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Any

from studio.scaleout.broker import PREFIX, QUEUES, priority_queue_keys

log = logging.getLogger(__name__)
WORKERS = f"{PREFIX}workers"
HEARTBEAT_S = 2.0
GONE_AFTER_S = 10.0
FORGET_AFTER_S = 3600.0
UNACKED, UNACKED_INDEX = "unacked", "unacked_index"  # kombu's Redis transport defaults


class Heartbeat:
    """The worker side: a daemon thread that publishes ``card()`` and renews the lease."""

    def __init__(self, redis: Any, state: Any) -> None:
        self.redis, self.state = redis, state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="studio-heartbeat", daemon=True)
        self._tags: dict[str, bytes] = {}  # job id -> its message's delivery tag

    def start(self) -> None:
        self.beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        try:
            self.redis.hdel(WORKERS, self.state.name)
        except Exception:
            log.debug("could not remove the worker card", exc_info=True)

    def card(self) -> dict[str, Any]:
        from studio.core.device import memory_stats

        state = self.state
        try:
            vram = int(memory_stats(state.device)[0])
        except Exception:
            vram = 0
        return {
            "name": state.name,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "device": state.device,
            "gpu": _gpu_index(state.device),
            "queues": list(state.queues),
            "warm": sorted(state.cache.keys()),
            "job": state.current,
            "vram_bytes": vram,
            "live": state.live_url,
            "seen": time.time(),
        }

    def beat(self) -> None:
        self.redis.hset(WORKERS, self.state.name, json.dumps(self.card()))
        job = self.state.current
        if job:
            self._renew(job)

    def beat_quietly(self) -> None:
        try:
            self.beat()
        except Exception:  # Redis restarting: the heartbeat thread tries again
            log.debug("heartbeat failed", exc_info=True)

    def _renew(self, job_id: str) -> None:
        tag = self._tags.get(job_id) or _delivery_tag(self.redis, job_id)
        if tag is None:
            return
        self._tags = {job_id: tag}
        self.redis.zadd(UNACKED_INDEX, {tag: time.time()}, xx=True)

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            self.beat_quietly()


def _gpu_index(device: str) -> int | None:
    return int(device.partition(":")[2]) if device.startswith("cuda:") else None


def _delivery_tag(redis: Any, job_id: str) -> bytes | None:
    for tag, raw in redis.hscan_iter(UNACKED):
        try:
            message = json.loads(raw)[0]
        except (ValueError, IndexError, TypeError):
            continue
        if message.get("headers", {}).get("id") == job_id:
            return bytes(tag)
    return None


def workers(redis: Any, now: float | None = None) -> list[dict[str, Any]]:
    """Every known worker's card with ``state``: ``busy``, ``idle`` or ``gone``; cards gone
    for longer than :data:`FORGET_AFTER_S` are dropped."""
    now = time.time() if now is None else now
    out = []
    for name, raw in redis.hgetall(WORKERS).items():
        card = json.loads(raw)
        age = now - float(card.get("seen", 0))
        if age > FORGET_AFTER_S:
            redis.hdel(WORKERS, name)
            continue
        card["state"] = "gone" if age > GONE_AFTER_S else ("busy" if card.get("job") else "idle")
        out.append(card)
    return sorted(out, key=lambda c: c["name"])


def queue_depths(redis: Any) -> dict[str, int]:
    """Messages waiting per queue (all priority steps together)."""
    pipe = redis.pipeline()
    for queue in QUEUES:
        for key in priority_queue_keys(queue):
            pipe.llen(key)
    sizes = pipe.execute()
    steps = len(priority_queue_keys(QUEUES[0]))
    return {q: int(sum(sizes[i * steps : (i + 1) * steps])) for i, q in enumerate(QUEUES)}


def message_ids(redis: Any) -> set[str]:
    """The task ids of every message waiting in a queue or held (unacknowledged) by a worker."""
    raw: list[bytes] = []
    for queue in QUEUES:
        for key in priority_queue_keys(queue):
            raw.extend(redis.lrange(key, 0, -1))
    ids = set()
    for item in raw:
        try:
            ids.add(json.loads(item)["headers"]["id"])
        except (ValueError, KeyError, TypeError):
            continue
    for value in redis.hvals(UNACKED):
        try:
            ids.add(json.loads(value)[0]["headers"]["id"])
        except (ValueError, KeyError, TypeError, IndexError):
            continue
    return ids


def live_endpoints(redis: Any) -> list[str]:
    """The live WebSocket addresses of live workers that answer."""
    return [c["live"] for c in workers(redis) if c.get("live") and c["state"] != "gone"]


class ScaleoutCollector:
    """Prometheus gauges read from Redis at each scrape: ``queue_depth{queue}``,
    ``workers{state}``, ``worker_gpu_vram_used_bytes{worker,gpu}``."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        depth = GaugeMetricFamily("queue_depth", "Jobs waiting per queue", labels=["queue"])
        count = GaugeMetricFamily("workers", "Workers by state", labels=["state"])
        vram = GaugeMetricFamily(
            "worker_gpu_vram_used_bytes", "Bytes allocated per worker GPU", labels=["worker", "gpu"]
        )
        try:
            depths, cards = queue_depths(self.redis), workers(self.redis)
        except Exception:  # a scrape must not fail while Redis restarts
            log.debug("scale-out metrics unavailable", exc_info=True)
            depths, cards = {}, []
        for queue, n in depths.items():
            depth.add_metric([queue], n)
        for state in ("busy", "idle", "gone"):
            count.add_metric([state], sum(c["state"] == state for c in cards))
        for card in cards:
            if card["state"] != "gone":
                gpu = "cpu" if card.get("gpu") is None else str(card["gpu"])
                vram.add_metric([card["name"], gpu], card.get("vram_bytes", 0))
        yield from (depth, count, vram)
