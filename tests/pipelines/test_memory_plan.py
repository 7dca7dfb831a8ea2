"""The memory plan each job kind picks on 6-80 GB cards and on the CPU (no GPU needed)."""

from __future__ import annotations

import pytest

from studio.pipelines.memory_plan import (
    GIB,
    PLANS,
    CardMemory,
    MemoryPlan,
    candidates,
    choose_plan,
    fits,
    plan_for,
)


def card(gb: float, free_gb: float | None = None) -> CardMemory:
    """A card of ``gb`` GiB with the desktop and the CUDA context taking 0.4 GiB."""
    free = gb - 0.4 if free_gb is None else free_gb
    return CardMemory(int(gb * GIB), int(free * GIB))


# (kind, card GB, plan, VAE tiling, tiled upscale, batch cap)
TABLE = [
    ("canvas.fill", 6, "sequential_offload", True, False, 0),
    ("canvas.fill", 8, "encoders_on_demand", True, False, 0),
    ("canvas.fill", 12, "encoders_on_demand", False, False, 0),
    ("canvas.fill", 16, "resident", False, False, 0),
    ("canvas.fill", 24, "resident", False, False, 0),
    ("canvas.fill", 80, "resident", False, False, 0),
    ("headshots.pack", 6, "sequential_offload", True, False, 0),
    ("headshots.pack", 8, "model_offload", True, True, 1),
    ("headshots.pack", 12, "encoders_on_demand", True, True, 0),
    ("headshots.pack", 16, "resident", False, False, 0),
    ("headshots.pack", 24, "resident", False, False, 0),
    ("headshots.pack", 80, "resident", False, False, 0),
    ("canvas.segment", 6, "resident", False, False, 0),
    ("canvas.segment", 8, "resident", False, False, 0),
    ("canvas.remove", 6, "resident", False, False, 0),
    ("canvas.upscale", 6, "resident", False, False, 0),
    ("lipsync.render", 6, "resident", False, False, 0),
    ("lipsync.render", 24, "resident", False, False, 0),
    ("live.frame", 6, "resident", False, False, 0),
    ("live.stream", 8, "resident", False, False, 0),
]


@pytest.mark.parametrize(("kind", "gb", "name", "tiling", "tiled_up", "cap"), TABLE)
def test_plan_chosen_per_card(kind, gb, name, tiling, tiled_up, cap):
    plan = choose_plan(kind, card(gb))
    assert (plan.name, plan.vae_tiling, plan.tiled_upscale, plan.batch_cap) == (
        name,
        tiling,
        tiled_up,
        cap,
    )
    assert plan.label.startswith(f"{gb} GB card: ")
    assert fits(plan) or plan.name == candidates(kind)[-1]  # only the last resort may not fit


@pytest.mark.parametrize("kind", ["canvas.fill", "headshots.pack", "canvas.segment", "x.unknown"])
def test_cpu_keeps_everything_in_system_memory(kind):
    plan = choose_plan(kind, None)
    assert plan.name == "resident" and not plan.on_gpu
    assert plan.label == "CPU: everything in system memory"
    assert plan.next_down() is None and plan.batch(4) == 4


def test_labels_say_what_moves():
    assert choose_plan("canvas.fill", card(8)).label == (
        "8 GB card: offloading text encoders, tiled VAE decode"
    )
    assert choose_plan("headshots.pack", card(8)).label == (
        "8 GB card: streaming IdentityNet, offloading text encoders, one image at a time, "
        "tiled VAE decode, tiled upscale"
    )
    assert choose_plan("canvas.fill", card(24)).label == "24 GB card: everything on the GPU"


def test_next_down_walks_to_the_leanest_and_keeps_flags():
    plan = choose_plan("canvas.fill", card(80))
    seen = [plan.name]
    while (plan := plan.next_down()) is not None:
        seen.append(plan.name)
        last = plan
    assert seen == list(PLANS)
    assert last.attention_slicing and last.label.endswith("sliced attention")
    tiled = choose_plan("canvas.fill", card(8))
    lower = tiled.next_down()
    assert lower is not None and lower.name == "model_offload" and lower.vae_tiling


def test_jobs_without_encoders_skip_that_plan():
    assert candidates("canvas.segment") == ("resident", "model_offload", "sequential_offload")
    assert candidates("canvas.remove") == ("resident",)
    assert choose_plan("canvas.remove", card(6)).next_down() is None


def test_budget_below_the_card_limits_the_plan():
    plan = choose_plan("canvas.fill", card(80), budget_bytes=8 * GIB)
    assert plan.name == "encoders_on_demand"
    assert plan.label.startswith("8 GB budget: ")
    # A budget above the card changes nothing.
    assert choose_plan("canvas.fill", card(8), budget_bytes=80 * GIB).limit == "8 GB card"


def test_other_programs_memory_is_not_ours():
    busy = CardMemory(24 * GIB, 8 * GIB)  # another program holds 16 GiB
    assert choose_plan("headshots.pack", busy).name == "model_offload"
    # ... but what this process holds (warm models) counts as available.
    mine = CardMemory(24 * GIB, 8 * GIB, held_bytes=15 * GIB)
    assert choose_plan("headshots.pack", mine).name == "resident"


def test_override_from_settings():
    plan = choose_plan("canvas.fill", card(80), override="model_offload")
    assert plan.name == "model_offload" and plan.chosen_in_settings
    assert plan.label.endswith("(chosen in Settings)")
    # SAM has no encoders: "encoders_on_demand" means the next leaner plan it has.
    assert choose_plan("canvas.segment", card(80), override="encoders_on_demand").name == (
        "model_offload"
    )
    with pytest.raises(ValueError, match="unknown memory plan"):
        choose_plan("canvas.fill", card(8), override="fast")


def test_batch_cap():
    plan = choose_plan("headshots.pack", card(8))
    assert plan.batch(4) == 1 and plan.batch(1) == 1
    budget = choose_plan("headshots.pack", card(80), budget_bytes=8 * GIB)  # more room than a card
    assert budget.batch(4) == 2 and budget.batch(1) == 1
    assert MemoryPlan("headshots.pack", "resident", 20, "24 GB card").batch(4) == 4


def test_plan_for_prefers_the_executors_choice(run_context):
    chosen = choose_plan("canvas.fill", card(8))
    run_context.memory_plan = chosen
    assert plan_for(run_context, "canvas.fill") is chosen
    # A plan for another kind is not taken; on the CPU the automatic choice is resident.
    assert plan_for(run_context, "canvas.segment").label == "CPU: everything in system memory"


def test_plan_for_shared_code_accepts_the_related_kinds(run_context):
    reroll = choose_plan("headshots.reroll", card(8))
    run_context.memory_plan = reroll
    assert plan_for(run_context, "headshots.pack", "headshots.reroll") is reroll
    assert plan_for(run_context, "headshots.pack").kind == "headshots.pack"


def test_a_batching_plan_retries_one_at_a_time_before_a_leaner_plan():
    # An 8 GiB budget on a big card (the benchmark's cap): batches of 2 while streaming.
    plan = choose_plan("headshots.pack", card(80), budget_bytes=8 * GIB)
    assert (plan.name, plan.batch(4)) == ("model_offload", 2)
    single, lower = plan.fallbacks()
    assert (single.name, single.batch(4), single.vae_tiling) == ("model_offload", 1, True)
    assert "one image at a time" in single.label
    assert (lower.name, lower.batch(4)) == ("sequential_offload", 1)
    # Not batching: straight to the next plan; the leanest has nothing to fall back to.
    assert [p.name for p in choose_plan("canvas.fill", card(8)).fallbacks()] == ["model_offload"]
    assert choose_plan("canvas.remove", card(6)).fallbacks() == []
