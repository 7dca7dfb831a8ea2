"""The inference service: ordering, cancel, progress, failures, OOM retry, shutdown."""

from __future__ import annotations

import threading
import time

import pytest

from studio.core.errors import BadInput
from studio.pipelines.jobspec import JobSpec
from studio.services.inference import InferenceService
from studio.services.jobs import JobState, Priority


def _record(service):
    events: list[tuple] = []
    service.job_queued.connect(lambda j: events.append(("queued", j.label)))
    service.job_started.connect(lambda j: events.append(("started", j.label)))
    service.job_progress.connect(lambda j, u: events.append(("progress", j.label, u.done)))
    service.job_finished.connect(lambda j, r: events.append(("finished", j.label, r)))
    service.job_failed.connect(lambda j, m, d: events.append(("failed", j.label, m)))
    service.job_cancelled.connect(lambda j: events.append(("cancelled", j.label)))
    return events


def steps(request, ctx):
    """n steps, each a cancel/preemption point; returns the request's value."""
    for i in range(request["n"]):
        ctx.check()
        if "gate" in request:
            request["gate"].wait(5)
        time.sleep(request.get("sleep", 0))
        ctx.progress("step", i + 1, request["n"])
    return request["value"]


def bad(request, ctx):
    raise BadInput("That image has no pixels.", "0x0 PNG")


def crash(request, ctx):
    raise ZeroDivisionError("boom")


def oom_once(request, ctx):
    request["calls"].append(ctx.low_memory)
    if not ctx.low_memory:
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
    return "ok-low-memory"


def oom_always(request, ctx):
    raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB")


RUNNERS = {
    "t.steps": steps,
    "t.bad": bad,
    "t.crash": crash,
    "t.oom": JobSpec(oom_once, low_memory=True),
    "t.oom_always": oom_always,
}


@pytest.fixture
def service(qtbot, store):
    svc = InferenceService(store, device="cpu", runners=RUNNERS)
    with qtbot.waitSignal(svc.device_ready, timeout=30000):
        svc.start()
    yield svc
    assert svc.shutdown(10)


def _wait_done(qtbot, service, *jobs, timeout=10000):
    qtbot.waitUntil(lambda: all(j.state.done for j in jobs), timeout=timeout)
    qtbot.wait(50)  # let the queued signals land


def test_signals_in_order_and_result(qtbot, service):
    events = _record(service)
    job = service.submit("t.steps", {"n": 3, "value": 42}, label="a")
    _wait_done(qtbot, service, job)
    # Progress may collapse to the newest update when the GUI thread is busy; the last one
    # always arrives, before the outcome.
    assert events[:2] == [("queued", "a"), ("started", "a")]
    assert events[-2:] == [("progress", "a", 3), ("finished", "a", 42)]
    done = [e[2] for e in events if e[0] == "progress"]
    assert done == sorted(set(done)) and set(done) <= {1, 2, 3}
    assert len(events) == 3 + len(done)
    assert job.state is JobState.FINISHED
    assert set(job.stage_seconds) == {"step"}
    assert job.duration_s is not None and job.duration_s >= 0


def test_interactive_jobs_run_before_queued_batch_work(qtbot, service):
    gate = threading.Event()
    blocker = service.submit("t.steps", {"n": 1, "value": 0, "gate": gate}, Priority.BATCH, "blk")
    qtbot.waitUntil(lambda: blocker.state is JobState.RUNNING)
    order: list[str] = []
    service.job_started.connect(lambda j: order.append(j.label))
    jobs = [
        service.submit("t.steps", {"n": 1, "value": 1}, Priority.BATCH, "batch1"),
        service.submit("t.steps", {"n": 1, "value": 2}, Priority.NORMAL, "normal"),
        service.submit("t.steps", {"n": 1, "value": 3}, Priority.INTERACTIVE, "click"),
        service.submit("t.steps", {"n": 1, "value": 4}, Priority.BATCH, "batch2"),
    ]
    gate.set()
    _wait_done(qtbot, service, blocker, *jobs)
    assert order == ["click", "normal", "batch1", "batch2"]


def test_interactive_job_preempts_a_running_batch_job_between_steps(qtbot, service):
    order: list[tuple[str, str]] = []
    service.job_started.connect(lambda j: order.append(("start", j.label)))
    service.job_finished.connect(lambda j, r: order.append(("end", j.label)))
    long = service.submit("t.steps", {"n": 30, "value": 0, "sleep": 0.02}, Priority.BATCH, "pack")
    qtbot.waitUntil(lambda: long.last_progress is not None)
    click = service.submit("t.steps", {"n": 1, "value": 1}, Priority.INTERACTIVE, "click")
    _wait_done(qtbot, service, long, click)
    assert order == [("start", "pack"), ("start", "click"), ("end", "click"), ("end", "pack")]


def test_cancel_queued_job(qtbot, service):
    gate = threading.Event()
    first = service.submit("t.steps", {"n": 1, "value": 0, "gate": gate}, label="first")
    queued = service.submit("t.steps", {"n": 1, "value": 1}, label="queued")
    events = _record(service)
    service.cancel(queued.id)
    assert queued.state is JobState.CANCELLED
    gate.set()
    _wait_done(qtbot, service, first)
    assert ("cancelled", "queued") in events
    assert not any(e[0] == "started" and e[1] == "queued" for e in events)


def test_cancel_running_job_gives_no_result(qtbot, service):
    events = _record(service)
    job = service.submit("t.steps", {"n": 500, "value": 9, "sleep": 0.01}, label="long")
    qtbot.waitUntil(lambda: job.last_progress is not None)
    service.cancel(job.id)
    _wait_done(qtbot, service, job)
    assert job.state is JobState.CANCELLED
    assert events[-1] == ("cancelled", "long")
    assert not any(e[0] == "finished" for e in events)
    assert job.last_progress.done < 500


def test_failure_carries_user_message_and_detail(qtbot, service):
    with qtbot.waitSignal(service.job_failed) as sig:
        service.submit("t.bad", {}, label="bad")
    job, message, detail = sig.args
    assert message == "That image has no pixels."
    assert "0x0 PNG" in detail
    assert job.state is JobState.FAILED


def test_unexpected_exception_is_reported_with_traceback(qtbot, service):
    with qtbot.waitSignal(service.job_failed) as sig:
        service.submit("t.crash", {}, label="crash")
    _, message, detail = sig.args
    assert "boom" in message
    assert "ZeroDivisionError" in detail and "Traceback" in detail


def test_oom_frees_cache_and_retries_in_low_memory_mode(qtbot, service):
    service.cache.get("warm", lambda: object(), size_bytes=10)
    calls: list[bool] = []
    with qtbot.waitSignal(service.job_finished, timeout=30000) as sig:  # gc on a busy CPU
        job = service.submit("t.oom", {"calls": calls})
    assert sig.args[1] == "ok-low-memory"
    assert calls == [False, True]
    assert job.retried_low_memory
    assert "warm" not in service.cache


def test_oom_without_low_memory_mode_fails_clearly(qtbot, service):
    with qtbot.waitSignal(service.job_failed, timeout=30000) as sig:
        service.submit("t.oom_always", {})
    assert "ran out of memory" in sig.args[1]


def test_unknown_kind_is_refused_at_submit(service):
    with pytest.raises(KeyError):
        service.submit("nope", {})


def test_shutdown_cancels_running_and_queued_jobs(qtbot, store):
    svc = InferenceService(store, device="cpu", runners=RUNNERS)
    svc.start()
    running = svc.submit("t.steps", {"n": 10_000, "value": 0, "sleep": 0.01})
    waiting = svc.submit("t.steps", {"n": 1, "value": 0})
    qtbot.waitUntil(lambda: running.state is JobState.RUNNING, timeout=30000)
    started = time.perf_counter()
    assert svc.shutdown(10)
    assert time.perf_counter() - started < 5
    assert running.state is JobState.CANCELLED and waiting.state is JobState.CANCELLED
    assert not svc._thread.isRunning()


def test_cpu_device_is_reported(qtbot, service):
    assert service.device_info is not None
    assert service.device_info.device == "cpu"
    assert service.device_info.warning


def oom_then_fine(request, ctx):
    request["calls"].append(ctx.low_memory)
    if len(request["calls"]) == 1:
        raise RuntimeError("CUDA out of memory. Tried to allocate 1.00 GiB")
    return "ok"


def dies(request, ctx):
    raise SystemExit("a library called exit()")


def test_oom_retries_once_after_freeing_cache_even_without_low_memory_mode(qtbot, store):
    svc = InferenceService(store, device="cpu", runners={"t.oom1": oom_then_fine})
    svc.start()
    svc.cache.get("warm", lambda: object(), size_bytes=10)
    calls: list[bool] = []
    with qtbot.waitSignal(svc.job_finished, timeout=30000) as sig:
        svc.submit("t.oom1", {"calls": calls})
    assert sig.args[1] == "ok" and calls == [False, False]
    assert "warm" not in svc.cache
    assert svc.shutdown(10)


def test_thread_survives_any_exception_and_runs_the_next_job(qtbot, store):
    svc = InferenceService(store, device="cpu", runners={"t.dies": dies, "t.steps": steps})
    svc.start()
    with qtbot.waitSignal(svc.job_failed, timeout=30000) as sig:
        svc.submit("t.dies", {})
    assert "exit()" in sig.args[1]
    with qtbot.waitSignal(svc.job_finished, timeout=10000) as sig:
        svc.submit("t.steps", {"n": 1, "value": 7})
    assert sig.args[1] == 7
    assert svc.shutdown(10)


def test_normal_jobs_do_not_pause_running_batch_work(qtbot, service):
    order: list[tuple[str, str]] = []
    service.job_started.connect(lambda j: order.append(("start", j.label)))
    service.job_finished.connect(lambda j, r: order.append(("end", j.label)))
    long = service.submit("t.steps", {"n": 20, "value": 0, "sleep": 0.02}, Priority.BATCH, "pack")
    qtbot.waitUntil(lambda: long.last_progress is not None)
    fill = service.submit("t.steps", {"n": 1, "value": 1}, Priority.NORMAL, "fill")
    _wait_done(qtbot, service, long, fill)
    assert order == [("start", "pack"), ("end", "pack"), ("start", "fill"), ("end", "fill")]


def test_submit_after_shutdown_is_refused_without_a_stuck_row(qtbot, store):
    svc = InferenceService(store, device="cpu", runners=RUNNERS)
    svc.start()
    assert svc.shutdown(10)
    queued: list = []
    svc.job_queued.connect(queued.append)
    with pytest.raises(RuntimeError, match="shut down"):
        svc.submit("t.steps", {"n": 1, "value": 0})
    assert queued == [] and svc.jobs == {}


class Payload:
    """Stands for a request's full-resolution arrays; a weak reference tells when it is freed."""


def frames(request, ctx):
    """Reports one progress update (with a preview) per frame, as a live stream does."""
    for i in range(request["n"]):
        ctx.check()
        ctx.progress("Live", i + 1, request["n"], f"preview {i + 1}")
    request["all sent"].set()
    return "stopped"


def blocks(request, ctx):
    """Reports once, then waits (checking for cancel and preemption) until released."""
    ctx.progress("work", 1, 2)
    while not request["gate"].wait(0.005):
        ctx.check()
    return "released"


def test_finished_jobs_drop_their_payloads_and_history_stays_bounded(qtbot, store):
    import gc
    import weakref

    svc = InferenceService(store, device="cpu", runners=RUNNERS, history_limit=5)
    svc.start()
    payload_refs = []
    jobs = []
    for _ in range(40):
        payload = Payload()
        payload_refs.append(weakref.ref(payload))
        # The payload is the request's and the result's: neither may outlive delivery.
        jobs.append(svc.submit("t.steps", {"n": 1, "value": payload, "payload": payload}))
        del payload
    _wait_done(qtbot, svc, *jobs, timeout=30000)
    qtbot.waitUntil(lambda: len(svc.jobs) == 5)
    assert list(svc.jobs) == [j.id for j in jobs[-5:]]  # the newest records are kept
    assert all(j.request is None for j in jobs)
    assert all(j.last_progress is None or j.last_progress.preview is None for j in jobs)
    gc.collect()
    assert [r for r in payload_refs if r() is not None] == []  # nothing else holds them
    assert svc.shutdown(10)


def test_progress_collapses_to_the_newest_when_the_gui_thread_is_blocked(qtbot, store):
    svc = InferenceService(store, device="cpu", runners={"t.frames": frames})
    with qtbot.waitSignal(svc.device_ready, timeout=30000):
        svc.start()
    updates: list = []
    svc.job_progress.connect(lambda job, update: updates.append(update))
    finished: list = []
    svc.job_finished.connect(lambda job, result: finished.append(result))
    request = {"n": 300, "all sent": threading.Event()}
    job = svc.submit("t.frames", request)
    # This (GUI) thread handles no events while it waits: every frame is sent meanwhile.
    assert request["all sent"].wait(30)
    qtbot.waitUntil(lambda: finished == ["stopped"], timeout=10000)
    assert len(updates) == 1
    last = updates[0]
    assert (last.stage, last.done, last.total, last.preview) == ("Live", 300, 300, "preview 300")
    assert last.eta_s == 0.0
    assert job.last_progress is not None and job.last_progress.done == 300
    assert svc.shutdown(10)


def test_kinds_declared_every_update_get_every_update_in_order(qtbot, store):
    runners = {"t.drafts": JobSpec(frames, every_update=True)}
    svc = InferenceService(store, device="cpu", runners=runners)
    svc.start()
    updates: list = []
    svc.job_progress.connect(lambda job, update: updates.append(update.preview))
    request = {"n": 50, "all sent": threading.Event()}
    job = svc.submit("t.drafts", request)
    assert request["all sent"].wait(30)  # the GUI thread was blocked all along
    _wait_done(qtbot, svc, job, timeout=30000)
    assert updates == [f"preview {i}" for i in range(1, 51)]
    assert svc.shutdown(10)


def test_started_arrives_before_progress_with_the_job_running(qtbot, store):
    svc = InferenceService(store, device="cpu", runners={"t.blocks": blocks})
    svc.start()
    seen: list = []
    svc.job_started.connect(lambda job: seen.append(("started", job.state)))
    svc.job_progress.connect(lambda job, update: seen.append(("progress", job.state)))
    gate = threading.Event()
    job = svc.submit("t.blocks", {"gate": gate})
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=30000)
    assert seen == [("started", JobState.RUNNING), ("progress", JobState.RUNNING)]
    gate.set()
    _wait_done(qtbot, svc, job)
    assert svc.shutdown(10)


def test_cache_budget_is_applied_on_the_device_thread_even_mid_job(qtbot, store):
    svc = InferenceService(store, device="cpu", runners={"t.blocks": blocks})
    svc.start()
    svc.cache.get("a", lambda: "model a", 40)
    svc.cache.get("b", lambda: "model b", 40)
    gate = threading.Event()
    job = svc.submit("t.blocks", {"gate": gate})
    qtbot.waitUntil(lambda: job.last_progress is not None, timeout=30000)
    svc.set_cache_budget(50)  # returns at once; the running job's next check applies it
    qtbot.waitUntil(lambda: svc.cache.keys() == ["b"])
    assert svc.cache.budget_bytes == 50 and job.state is JobState.RUNNING
    gate.set()
    _wait_done(qtbot, svc, job)
    svc.set_cache_budget(0)  # automatic: no limit on the CPU
    qtbot.waitUntil(lambda: svc.cache.budget_bytes == 0)
    assert svc.memory_reserved() == 0  # nothing reserved on the CPU
    assert svc.shutdown(10)


def test_begin_shutdown_returns_at_once_and_the_thread_stops_at_the_next_step(qtbot, store):
    svc = InferenceService(store, device="cpu", runners={"t.blocks": blocks})
    svc.start()
    svc.cache.get("warm", lambda: "model", 10)
    gate = threading.Event()  # never set: only cancellation ends the job
    running = svc.submit("t.blocks", {"gate": gate})
    waiting = svc.submit("t.blocks", {"gate": gate})
    qtbot.waitUntil(lambda: running.last_progress is not None, timeout=30000)
    svc.begin_shutdown()  # must not wait for the job: it would never end by itself
    assert waiting.state is JobState.CANCELLED
    qtbot.waitUntil(svc.is_stopped, timeout=10000)
    assert running.state is JobState.CANCELLED
    assert len(svc.cache) == 0  # the device thread freed its models as it stopped
    assert svc.shutdown(0)
