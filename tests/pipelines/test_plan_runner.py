"""A job that runs out of memory falls back one plan, says so, and never ends in a bare OOM."""

from __future__ import annotations

import pytest
import torch

from studio.core.errors import OutOfMemory
from studio.pipelines.memory_plan import GIB, CardMemory, choose_plan, plan_for
from studio.pipelines.plan_runner import run_with_plan

CARD_8 = CardMemory(8 * GIB, int(7.6 * GIB))


class OomRunner:
    """Raises ``torch.OutOfMemoryError`` on its first ``failures`` calls, then returns the
    plan it ran under (read through ``plan_for``, as pipelines do)."""

    def __init__(self, failures: int = 1, kind: str = "canvas.fill") -> None:
        self.failures, self.kind = failures, kind
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, request, ctx):
        plan = plan_for(ctx, self.kind)
        self.seen.append((plan.name, ctx.low_memory))
        if len(self.seen) <= self.failures:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return request, plan


def test_oom_once_retries_with_the_next_plan_and_says_so(run_context):
    plan = choose_plan("canvas.fill", CARD_8)
    freed, shown = [], []
    runner = OomRunner(failures=1)
    result, ran = run_with_plan(
        runner,
        "req",
        run_context,
        "canvas.fill",
        plan=plan,
        free_memory=lambda: freed.append(True),
        on_plan=shown.append,
    )
    assert result == "req"
    assert runner.seen == [("encoders_on_demand", False), ("model_offload", True)]
    assert ran == plan.next_down() and ran.name == "model_offload"
    assert freed == [True] and shown == [plan, ran]
    assert run_context.reports == [
        (
            "Out of memory with 8 GB card: offloading text encoders, tiled VAE decode; "
            "retrying with 8 GB card: each model on the GPU only while it runs, "
            "tiled VAE decode",
            0,
            1,
        )
    ]
    assert not hasattr(run_context, "memory_plan")  # the caller's context is left alone


def test_second_oom_names_both_plans(run_context):
    plan = choose_plan("canvas.fill", CARD_8)
    with pytest.raises(OutOfMemory) as info:
        run_with_plan(OomRunner(failures=2), None, run_context, "canvas.fill", plan=plan)
    message = info.value.user_message
    assert message.startswith("Out of memory with 8 GB card: offloading text encoders")
    assert "and again with 8 GB card: each model on the GPU only while it runs" in message
    assert "Settings" in message and "Tried to allocate" in info.value.detail


def test_leanest_plan_retries_once_with_the_cache_emptied(run_context):
    plan = choose_plan("canvas.fill", CardMemory(4 * GIB, 3 * GIB))
    assert plan.name == "sequential_offload" and plan.next_down() is None
    freed = []
    runner = OomRunner(failures=1)
    _, ran = run_with_plan(
        runner, None, run_context, "canvas.fill", plan=plan, free_memory=lambda: freed.append(1)
    )
    assert ran == plan and freed == [1]
    assert runner.seen == [("sequential_offload", False), ("sequential_offload", True)]
    assert run_context.reports[0][0].endswith("; retrying with the model cache emptied")
    with pytest.raises(OutOfMemory, match="the leanest plan for this job, even with the model"):
        run_with_plan(OomRunner(failures=2), None, run_context, "canvas.fill", plan=plan)


def test_other_errors_pass_through_without_retry(run_context):
    calls = []

    def broken(request, ctx):
        calls.append(1)
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run_with_plan(broken, None, run_context, "canvas.fill")
    assert calls == [1] and run_context.reports == []


def test_cpu_runs_the_cpu_plan(run_context):
    _, ran = run_with_plan(OomRunner(failures=0), None, run_context, "canvas.fill")
    assert ran.label == "CPU: everything in system memory"


def test_batching_plan_retries_one_at_a_time_then_leaner(run_context):
    # The headshot pack under an 8 GiB cap (measured: batches of 3 ran out of memory).
    plan = choose_plan("headshots.pack", CardMemory(80 * GIB, 79 * GIB), budget_bytes=8 * GIB)
    assert plan.batch(4) == 2
    runner = OomRunner(failures=2, kind="headshots.pack")
    result, ran = run_with_plan(runner, "req", run_context, "headshots.pack", plan=plan)
    assert result == "req"
    assert runner.seen == [
        ("model_offload", False),
        ("model_offload", True),
        ("sequential_offload", True),
    ]
    assert (ran.name, ran.batch(4)) == ("sequential_offload", 1)
    messages = [stage for stage, _, _ in run_context.reports]
    assert messages[0].endswith(
        "retrying with 8 GB budget: streaming IdentityNet, offloading "
        "text encoders, one image at a time, tiled VAE decode, tiled upscale"
    )
    assert "streaming every layer" in messages[1]


def test_batching_plan_that_never_fits_names_every_plan(run_context):
    plan = choose_plan("headshots.pack", CardMemory(80 * GIB, 79 * GIB), budget_bytes=8 * GIB)
    with pytest.raises(OutOfMemory) as caught:
        runner = OomRunner(failures=5, kind="headshots.pack")
        run_with_plan(runner, "req", run_context, "headshots.pack", plan=plan)
    text = caught.value.user_message
    assert "batches of 2" in text and "one image at a time" in text
    assert "streaming every layer" in text
