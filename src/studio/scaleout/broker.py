"""The Celery app both sides share, and the names of everything Studio keeps in Redis.

One task, :data:`TASK` ``(job_id, kind, wire_request)``, JSON only (nothing unpickled). Each
job kind goes to its workspace's queue (``canvas.remove`` -> ``canvas``); Studio's priority
becomes the message priority (Redis: 0 is served first), so an interactive job overtakes a
batch between two jobs. Workers take one message at a time and acknowledge it only after the
job ended (``acks_late``): a worker that dies leaves its message unacknowledged and Redis
hands it to another worker once its lease (``visibility_timeout``) ran out. A working worker
renews the lease of its message every heartbeat (see :mod:`studio.scaleout.registry`), so a
long job is never handed out twice while its worker lives.
"""

from __future__ import annotations

from typing import Any

TASK = "studio.run_job"
QUEUES = ("canvas", "headshots", "lipsync", "live")
# Studio priority (server.jobs.PRIORITIES) -> Redis message priority (lower runs first).
MESSAGE_PRIORITY = {0: 0, 1: 3, 2: 6}
PRIORITY_STEPS = [0, 3, 6, 9]
PRIORITY_SEP = ":"
DEFAULT_VISIBILITY_S = 120.0
PREFIX = "studio:"


def queue_for(kind: str) -> str:
    """The queue of a job kind: its workspace (``headshots.pack`` -> ``headshots``)."""
    return kind.partition(".")[0]


def priority_queue_keys(queue: str) -> list[str]:
    """The Redis lists kombu keeps for ``queue``, one per priority step."""
    return [queue if p == 0 else f"{queue}{PRIORITY_SEP}{p}" for p in PRIORITY_STEPS]


def make_celery(broker_url: str, visibility_timeout: float = DEFAULT_VISIBILITY_S) -> Any:
    """A Celery app on ``broker_url`` with Studio's settings (no result backend: results and
    events travel in Studio's own Redis keys, which the gateway reads by job id)."""
    from celery import Celery

    app = Celery("studio", broker=broker_url, set_as_current=False)
    restore_every = max(1, min(10, int(visibility_timeout // 4)))
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=1,
        worker_pool="solo",
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        task_default_queue="canvas",
        task_create_missing_queues=True,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "priority_steps": PRIORITY_STEPS,
            "sep": PRIORITY_SEP,
            "queue_order_strategy": "priority",
            "unacked_restore_interval": restore_every,
            "unacked_restore_throttle": 1,
        },
    )
    return app


def redis_client(url: str) -> Any:
    """A redis-py client that rides out a short Redis restart (retries with back-off for about
    half a minute) instead of failing the job it is reporting for."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), 25),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        health_check_interval=10,
        socket_connect_timeout=5,
    )


def check_reachable(url: str, timeout_s: float = 3.0) -> None:
    """Raise :class:`~studio.core.errors.StudioError` naming ``url`` (password hidden) when
    no Redis answers there. Checked once at start: the clients of :func:`redis_client` retry for
    half a minute, so a wrong address otherwise meant a long silence, then a traceback."""
    import redis

    from studio.core.errors import StudioError

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        client.ping()
    except (redis.AuthenticationError, redis.ResponseError) as exc:  # e.g. a wrong password
        raise StudioError(f"Redis at {hide_password(url)} refused Studio: {exc}", str(exc)) from exc
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise StudioError(
            f"No Redis answers at {hide_password(url)}. Start Redis there, or give its "
            "address with --broker redis://HOST:6379/0.",
            str(exc),
        ) from exc
    finally:
        client.close()


def hide_password(url: str) -> str:
    """``url`` with its password (if any) shown as ``***``: fit for a terminal or a log."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
