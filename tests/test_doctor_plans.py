"""``studio doctor`` prints the memory plan each workspace will use on this card."""

from __future__ import annotations

from studio.cli import main
from studio.doctor import WORKSPACE_JOBS, workspace_plans
from studio.pipelines.memory_plan import GIB, CardMemory


def test_doctor_lists_every_workspace_plan_on_the_cpu(capsys):
    assert main(["doctor"]) == 0
    text = capsys.readouterr().out
    assert "Memory plans" in text
    for name in WORKSPACE_JOBS:
        assert f"  {name:<15} CPU: everything in system memory" in text


def test_plans_on_an_8gb_card():
    plans = workspace_plans(CardMemory(8 * GIB, int(7.5 * GIB)))
    assert plans["Canvas fill"] == "8 GB card: offloading text encoders, tiled VAE decode"
    assert plans["Headshots"].startswith("8 GB card: streaming IdentityNet, offloading text")
    assert plans["Canvas select"] == "8 GB card: everything on the GPU"
    assert plans["Live"] == "8 GB card: everything on the GPU"


def test_budget_and_settings_choice_show_in_the_plans():
    card = CardMemory(24 * GIB, 23 * GIB)
    plans = workspace_plans(card, budget_bytes=12 * GIB, override="model_offload")
    assert plans["Canvas fill"] == (
        "12 GB budget: each model on the GPU only while it runs (chosen in Settings)"
    )
