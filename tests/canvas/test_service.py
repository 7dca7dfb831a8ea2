"""Canvas jobs through the real inference service (device thread, signals, priorities)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.pipelines.canvas.fill import FillRequest
from studio.pipelines.canvas.remove import RemoveRequest
from studio.pipelines.canvas.segment import SegmentRequest
from studio.services.jobs import JobState, Priority


@pytest.fixture
def service(start_cpu_service, store):
    return start_cpu_service(store)  # the default runners: every workspace's JOBS


def _mask(photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[30:50, 40:70] = 255
    return mask


def test_click_jumps_ahead_of_a_running_fill(qtbot, service, install, sdxl, photo):
    install("sam-vit-b")
    finished: list[str] = []
    service.job_finished.connect(lambda j, r: finished.append(j.kind))
    fill = service.submit(
        "canvas.fill",
        FillRequest(image=photo, mask=_mask(photo), steps=12, seed=3, work_side=128),
        label="fill",
    )
    qtbot.waitUntil(lambda: fill.state is JobState.RUNNING, timeout=60000)
    click = service.submit(
        "canvas.segment",
        SegmentRequest(image=photo, points=[(60, 40)], labels=[1]),
        Priority.INTERACTIVE,
        label="click",
    )
    qtbot.waitUntil(lambda: fill.state.done and click.state.done, timeout=120000)
    qtbot.wait(50)
    assert fill.state is JobState.FINISHED and click.state is JobState.FINISHED
    assert finished == ["canvas.segment", "canvas.fill"]


def test_remove_job_and_missing_model_failure(qtbot, service, install, photo):
    results, failures = {}, {}
    service.job_finished.connect(lambda j, r: results.__setitem__(j.id, r))
    service.job_failed.connect(lambda j, m, d: failures.__setitem__(j.id, m))
    missing = service.submit("canvas.remove", RemoveRequest(image=photo, mask=_mask(photo)))
    qtbot.waitUntil(lambda: missing.id in failures, timeout=30000)
    assert "LaMa" in failures[missing.id] and "not installed" in failures[missing.id]
    install("lama-big")
    job = service.submit("canvas.remove", RemoveRequest(image=photo, mask=_mask(photo)))
    qtbot.waitUntil(lambda: job.id in results, timeout=60000)
    res = results[job.id]
    assert (res.image[res.alpha == 0] == photo[res.alpha == 0]).all()
