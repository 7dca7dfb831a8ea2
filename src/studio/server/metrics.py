"""Prometheus metrics of one server, in its own registry (several servers may share a process).

- ``inference_duration_seconds{stage}``: wall time of each pipeline stage of each job;
- ``jobs_total{status}``: finished jobs by outcome (done, failed, cancelled);
- ``queue_latency_seconds``: from submission to the start of the run;
- ``gpu_vram_used_bytes``: memory allocated on the server's CUDA device (0 on the CPU).
"""

from __future__ import annotations

STAGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)
QUEUE_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600)


class Metrics:
    def __init__(self, device: str) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.inference = Histogram(
            "inference_duration_seconds",
            "Seconds per pipeline stage",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=self.registry,
        )
        self.jobs = Counter("jobs", "Finished jobs by status", ["status"], registry=self.registry)
        self.queue_latency = Histogram(
            "queue_latency_seconds",
            "Seconds from submission to start",
            buckets=QUEUE_BUCKETS,
            registry=self.registry,
        )
        self.vram = Gauge(
            "gpu_vram_used_bytes", "Bytes allocated on the GPU", registry=self.registry
        )
        self.vram.set_function(lambda: float(_allocated(device)))
        for status in ("done", "failed", "cancelled"):
            self.jobs.labels(status)  # present (at 0) before the first job

    def job_finished(self, status: str, stage_seconds: dict[str, float]) -> None:
        self.jobs.labels(status).inc()
        for stage, seconds in stage_seconds.items():
            self.inference.labels(stage).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _allocated(device: str) -> int:
    from studio.core.device import memory_stats

    try:
        return memory_stats(device)[0]
    except Exception:  # a metric must never fail the scrape
        return 0
