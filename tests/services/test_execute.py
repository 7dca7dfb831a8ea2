"""The Qt-free executor: OOM retry, cancel, stage timing and ETA, pinned models."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
import torch

from studio.core.errors import BadInput, Cancelled, OutOfMemory
from studio.core.progress import CancelToken
from studio.pipelines.jobspec import JobSpec
from studio.services.execute import JobTimer, RunRecord, execute
from studio.services.model_cache import ModelCache


def _tensor_model(n_floats: int):
    return lambda: torch.zeros(n_floats)


def oom_once(request, ctx):
    """Loads a model, then runs out of memory unless in low-memory mode."""
    request["modes"].append(ctx.low_memory)
    ctx.model("job-model", _tensor_model(10))
    if not ctx.low_memory:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    return "small-tiles"


def oom_always(request, ctx):
    request["modes"].append(ctx.low_memory)
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


def bad_input(request, ctx):
    raise BadInput("That mask is empty.")


def stepper(request, ctx):
    """``loading`` then ``steps`` stages on a fake clock that the request advances."""
    clock = request["clock"]
    ctx.progress("Loading", 0, 1)
    clock[0] += 2.0
    ctx.progress("Loading", 1, 1)
    ctx.progress("Steps", 0, 4)
    for i, seconds in enumerate((5.0, 1.0, 1.0, 1.0)):  # the first step includes warm-up
        ctx.check()
        clock[0] += seconds
        ctx.progress("Steps", i + 1, 4)
    return "done"


def until_cancelled(request, ctx):
    request["started"].set()
    for _ in range(100_000):
        ctx.check()
        request["tick"].wait(0.001)
    return "never cancelled"


JOBS = {
    "t.oom": JobSpec(oom_once, low_memory=True),
    "t.oom_plain": oom_once,  # a bare function: retried, but without a low-memory mode
    "t.oom_always": JobSpec(oom_always, low_memory=True),
    "t.bad": bad_input,
    "t.steps": stepper,
    "t.until_cancelled": until_cancelled,
}


def _run(store, cache, kind, request, **kwargs):
    return execute(kind, request, store=store, cache=cache, device="cpu", jobs=JOBS, **kwargs)


def test_oom_once_frees_the_cache_and_retries_in_low_memory_mode(store):
    cache = ModelCache()
    cache.get("warm", _tensor_model(100))
    updates, record, modes = [], RunRecord(), []
    result = _run(store, cache, "t.oom", {"modes": modes}, progress=updates.append, record=record)
    assert result == "small-tiles"
    assert modes == [False, True]
    assert record.retried and record.low_memory
    assert "warm" not in cache and "warm" in cache.evictions
    assert "job-model" in cache.evictions  # the failed run's own model went too, then reloaded
    assert cache.keys() == ["job-model"] and not cache.pinned()
    stages = [u.stage for u in updates]
    assert "Out of memory: retrying in low-memory mode" in stages


def test_oom_without_low_memory_mode_retries_once_as_it_was(store):
    record, modes = RunRecord(), []
    with pytest.raises(OutOfMemory) as info:  # the retry (same mode) runs out again
        _run(store, ModelCache(), "t.oom_plain", {"modes": modes}, record=record)
    assert modes == [False, False]
    assert "lower-memory" not in info.value.user_message
    assert record.retried and not record.low_memory


def test_oom_twice_ends_in_a_clear_message(store):
    cache = ModelCache()
    modes: list[bool] = []
    with pytest.raises(OutOfMemory) as info:
        _run(store, cache, "t.oom_always", {"modes": modes})
    assert modes == [False, True]
    assert "ran out of memory" in info.value.user_message
    assert "lower-memory mode" in info.value.user_message
    assert "OutOfMemoryError" in info.value.detail  # the traceback, for the log
    assert len(cache) == 0


def test_domain_errors_pass_through_unchanged(store):
    with pytest.raises(BadInput, match="mask is empty"):
        _run(store, ModelCache(), "t.bad", {})


def test_cancel_before_start_never_runs_the_job(store):
    token = CancelToken()
    token.cancel()
    calls: list = []
    with pytest.raises(Cancelled):
        _run(store, ModelCache(), "t.oom", {"modes": calls}, cancel=token)
    assert calls == []


def test_cancel_from_another_thread_stops_a_running_job(store):
    token = CancelToken()
    request = {"started": threading.Event(), "tick": threading.Event()}
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(_run(store, ModelCache(), "t.until_cancelled", request, cancel=token))
        except Cancelled as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert request["started"].wait(30)
    token.cancel()
    worker.join(30)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)


def test_stage_seconds_and_eta_from_the_second_step(store):
    clock = [0.0]
    updates: list = []
    timer = JobTimer(sink=updates.append, clock=lambda: clock[0])
    record = RunRecord()
    assert _run(store, ModelCache(), "t.steps", {"clock": clock}, timer=timer, record=record)
    assert record.stage_seconds == {"Loading": 2.0, "Steps": 8.0}
    steps = [(u.done, u.eta_s) for u in updates if u.stage == "Steps"]
    # No ETA until a step after the first (which carried 5 s of warm-up) has ended; then the
    # pace since the first step: 1 s a step.
    assert steps == [(0, None), (1, None), (2, 2.0), (3, 1.0), (4, 0.0)]
    assert record.peak_vram_bytes == 0  # the CPU


def test_unknown_kind_is_a_key_error(store):
    with pytest.raises(KeyError, match="t.nope"):
        _run(store, ModelCache(), "t.nope", {})


def test_models_of_a_paused_job_are_never_evicted(store):
    """A job run between the steps of another (preemption) cannot evict the outer job's
    models, even when the budget is too small for both."""
    cache = ModelCache(host_budget_bytes=1000)
    seen: dict = {}

    def inner(request, ctx):
        ctx.model("inner-model", _tensor_model(200))  # 800 bytes: over budget with outer's
        seen["pinned during inner"] = cache.pinned()
        seen["outer kept"] = "outer-model" in cache
        return "inner"

    def outer(request, ctx):
        ctx.model("outer-model", _tensor_model(200))
        seen["inner result"] = execute(
            "t.inner", None, store=store, cache=cache, jobs={"t.inner": inner}
        )
        return "outer"

    assert execute("t.outer", None, store=store, cache=cache, jobs={"t.outer": outer}) == "outer"
    assert seen["inner result"] == "inner"
    assert seen["pinned during inner"] == {"outer-model", "inner-model"}
    assert seen["outer kept"]
    # Over budget only while both jobs held their models: then the inner job's model went.
    assert cache.keys() == ["outer-model"] and cache.evictions == ["inner-model"]
    assert not cache.pinned()


def test_progress_names_models_as_the_catalogue_does(store, run_context):
    from studio.pipelines.context import readable_model_name

    catalogue = store.catalogue
    assert readable_model_name("lama-big:cpu", catalogue) == "LaMa (big-lama) object removal"
    assert readable_model_name("live.engine:sd-turbo+taesd:cuda:1", catalogue) == (
        "SD-Turbo + TAESD tiny VAE (SD 1.x/2.x)"
    )
    assert readable_model_name("headshots:dlib-scorer", catalogue) == "dlib-scorer"
    run_context.model("sam:sam-vit-b:cpu", lambda: "predictor")
    assert run_context.reports == [
        ("Loading Segment Anything ViT-B", 0, 1),
        ("Loading Segment Anything ViT-B", 1, 1),
    ]


def test_execute_runs_without_qt(tmp_path):
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'shiboken6'):
                    raise ImportError('Qt is not allowed here: ' + name)
        sys.meta_path.insert(0, Block())
        from studio.models.catalogue import load_catalogue
        from studio.models.store import ModelStore
        from studio.services.execute import execute
        from studio.services.model_cache import ModelCache
        def double(request, ctx):
            ctx.progress('work', 1, 1)
            return request * 2
        store = ModelStore(sys.argv[1], load_catalogue())
        print(execute('t.double', 21, store=store, cache=ModelCache(), jobs={'t.double': double}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "models")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"


def test_a_cli_runs_jobs_through_the_same_executor(capsys):
    from studio.services.headless import run_job

    calls: list[bool] = []
    jobs = {"t.oom": JobSpec(oom_once, low_memory=True)}
    assert run_job("t.oom", {"modes": calls}, jobs=jobs) == "small-tiles"
    assert calls == [False, True]  # the CLI gets the out-of-memory retry too
    err = capsys.readouterr().err
    assert "Out of memory: retrying in low-memory mode: 0/1" in err
    assert "Loading job-model: 1/1" in err


def plan_oom_once(request, ctx):
    """Runs out of memory under the first plan it is given (a kind with a memory plan)."""
    request["plans"].append((ctx.memory_plan, ctx.low_memory))
    if len(request["plans"]) == 1:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    return "done"


def test_a_kind_with_a_plan_retries_once_under_the_next_plan(store):
    # canvas.fill has plans (memory_plan.NEEDS); on the CPU the plan is "CPU" and has no
    # leaner one, so the retry keeps it with the cache emptied; on a GPU it steps down.
    device = "cuda:0" if torch.cuda.is_available() else "cpu"
    updates, record, plans = [], RunRecord(), []
    cache = ModelCache()
    cache.get("warm", _tensor_model(100))
    result = execute(
        "canvas.fill",
        {"plans": plans},
        store=store,
        cache=cache,
        device=device,
        jobs={"canvas.fill": JobSpec(plan_oom_once, low_memory=True)},
        progress=updates.append,
        record=record,
    )
    assert result == "done"
    (first, first_low), (second, second_low) = plans
    assert (first_low, second_low) == (False, True)
    assert first.kind == second.kind == "canvas.fill"
    expected = first.next_down() or first
    assert second == expected
    assert record.plan == expected.label and record.retried and record.low_memory
    assert "warm" not in cache
    lower = "the model cache emptied" if first.next_down() is None else expected.label
    stages = [u.stage for u in updates]
    assert f"Out of memory with {first.label}; retrying with {lower}" in stages
    assert "Out of memory: retrying in low-memory mode" not in stages  # one retry chain


def test_a_kind_with_a_plan_that_runs_out_twice_names_the_plans(store):
    modes: list[bool] = []
    cache = ModelCache()
    with pytest.raises(OutOfMemory) as info:
        execute(
            "canvas.remove",
            {"modes": modes},
            store=store,
            cache=cache,
            jobs={"canvas.remove": JobSpec(oom_always, low_memory=True)},
        )
    assert modes == [False, True]  # exactly one retry
    assert info.value.user_message.startswith("Out of memory with CPU")
    assert info.value.__cause__ is None  # the failed run's frames are not kept alive
    assert len(cache) == 0


def test_a_kind_without_a_plan_keeps_the_low_memory_retry(store):
    updates, record, modes = [], RunRecord(), []
    result = _run(
        store, ModelCache(), "t.oom", {"modes": modes}, progress=updates.append, record=record
    )
    assert result == "small-tiles" and modes == [False, True]
    assert record.plan == "" and record.retried and record.low_memory
    assert "Out of memory: retrying in low-memory mode" in [u.stage for u in updates]
