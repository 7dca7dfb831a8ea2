"""How each job fits on the card it runs on: memory plans (Qt-free; torch imported lazily).

From the card's total and free memory (and the VRAM budget setting), each job kind picks one
plan, from fastest to leanest:

- ``resident``: every model on the GPU;
- ``encoders_on_demand``: the models used once per job (text and image encoders) sit in
  system memory and go to the GPU only while they run;
- ``model_offload``: besides, the big secondary models leave the GPU between uses (diffusers'
  ``enable_model_cpu_offload``; headshots stream the IdentityNet block by block);
- ``sequential_offload``: every layer is streamed from system memory (last resort, slow),

plus flags: VAE tiling, tiled upscaling, attention slicing and a batch-size cap. The choice
comes from :mod:`studio.pipelines.memory_needs`, a table of what each job kind holds (fp16
weights of the real models, in GiB) and the activations it adds (peaks measured with
``scripts/bench_vram.py``).

A plan names itself for the jobs panel ("8 GB card: offloading text encoders") and knows
what to retry with after an out-of-memory error (:meth:`MemoryPlan.fallbacks`: one item at
a time, then the next leaner plan), which :mod:`studio.pipelines.plan_runner` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from studio.pipelines.memory_needs import NEEDS, JobNeeds, needs_for

__all__ = ["NEEDS", "JobNeeds", "needs_for"]  # re-exported: the table lives in memory_needs

GIB = 2**30
PLANS = ("resident", "encoders_on_demand", "model_offload", "sequential_offload")
AUTO = "auto"
# Fraction of the memory torch may use that a plan may fill: the caching allocator loses some
# to fragmentation, and cuDNN/cuBLAS workspaces come and go.
USABLE_FRACTION = 0.95
STREAM_BUFFER_GIB = 0.35  # one streamed block in flight (prefetch) under block streaming


@dataclass(frozen=True)
class CardMemory:
    """What the job may use: the card's total, what is free now, what this process holds."""

    total_bytes: int
    free_bytes: int
    held_bytes: int = 0  # reserved by this process's torch (cached models can be evicted)


def card_memory(device: str) -> CardMemory | None:
    """The CUDA card behind ``device`` (None on the CPU or when torch has no CUDA)."""
    if not device.startswith("cuda"):
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    free, total = torch.cuda.mem_get_info(device)
    return CardMemory(int(total), int(free), int(torch.cuda.memory_reserved(device)))


def _gib_label(gib: float) -> str:
    return f"{gib:.0f}" if gib >= 1.5 else f"{gib:.1f}"


@dataclass(frozen=True)
class MemoryPlan:
    """How one job kind runs on one card; see the module docstring for the plan names."""

    kind: str
    name: str
    usable_gib: float  # memory the plan was fitted into (0 on the CPU)
    limit: str  # "8 GB card", "6 GB budget" or "CPU"
    vae_tile: int = 0  # VAE tile side in pixels (0: untiled)
    tiled_upscale: bool = False
    attention_slicing: bool = False
    batch_cap: int = 0  # 0: no cap
    chosen_in_settings: bool = False

    @property
    def vae_tiling(self) -> bool:
        return self.vae_tile > 0

    @property
    def on_gpu(self) -> bool:
        return self.limit != "CPU"

    @property
    def offloads_encoders(self) -> bool:
        return self.on_gpu and self.name != "resident" and bool(needs_for(self.kind).encoders)

    @property
    def label(self) -> str:
        """What the jobs panel and ``studio doctor`` show, e.g. "8 GB card: offloading text
        encoders, tiled VAE decode"."""
        needs = needs_for(self.kind)
        if not self.on_gpu:
            return "CPU: everything in system memory"
        parts = []
        if self.name == "resident":
            parts.append("everything on the GPU")
        elif self.name == "encoders_on_demand":
            parts.append(f"offloading {needs.encoder_label}")
        elif self.name == "model_offload":
            if needs.streamed:
                parts.append(f"streaming {needs.streamed_label or ', '.join(needs.streamed)}")
                if needs.encoders:
                    parts.append(f"offloading {needs.encoder_label}")
            else:
                parts.append("each model on the GPU only while it runs")
        else:
            parts.append("streaming every layer from system memory (slow)")
        if self.batch_cap and self.batch_cap < needs.batch:
            parts.append(
                "one image at a time" if self.batch_cap == 1 else f"batches of {self.batch_cap}"
            )
        if self.vae_tiling:
            parts.append("tiled VAE decode")
        if self.tiled_upscale:
            parts.append("tiled upscale")
        if self.attention_slicing:
            parts.append("sliced attention")
        suffix = " (chosen in Settings)" if self.chosen_in_settings else ""
        return f"{self.limit}: {', '.join(parts)}{suffix}"

    def batch(self, requested: int) -> int:
        """The batch size to use for ``requested`` items under this plan."""
        return max(1, min(requested, self.batch_cap)) if self.batch_cap else max(1, requested)

    def smaller_batch(self) -> MemoryPlan | None:
        """This plan one item at a time, when it batches more than one (None otherwise):
        the cheapest retry after running out of memory, before a slower placement."""
        requested = needs_for(self.kind).batch
        if not self.on_gpu or self.batch(requested) <= 1:
            return None
        return replace(self, batch_cap=1)

    def fallbacks(self) -> list[MemoryPlan]:
        """What to try, in order, after this plan runs out of memory: one item at a time
        (when batching), then the next leaner plan (one at a time as well)."""
        out = []
        single = self.smaller_batch()
        if single is not None:
            out.append(single)
        lower = self.next_down()
        if lower is not None:
            if single is not None:
                lower = replace(lower, batch_cap=1)
            out.append(lower)
        return out

    def next_down(self) -> MemoryPlan | None:
        """The next leaner plan for this job on this card (None after the leanest), keeping
        every flag this plan already had."""
        names = candidates(self.kind)
        if not self.on_gpu or self.name not in names or self.name == names[-1]:
            return None
        lower = _fit(self.kind, names[names.index(self.name) + 1], self.usable_gib, self.limit)
        return replace(
            lower,
            vae_tile=_min_cap(lower.vae_tile, self.vae_tile),
            tiled_upscale=lower.tiled_upscale or self.tiled_upscale,
            attention_slicing=lower.attention_slicing or self.attention_slicing,
            batch_cap=_min_cap(lower.batch_cap, self.batch_cap),
        )


def _min_cap(a: int, b: int) -> int:
    caps = [c for c in (a, b) if c]
    return min(caps) if caps else 0


def candidates(kind: str) -> tuple[str, ...]:
    """The plans that differ for ``kind``, fastest first (e.g. no ``encoders_on_demand`` for a
    job without encoders)."""
    needs = needs_for(kind)
    names = ["resident"]
    if needs.encoders:
        names.append("encoders_on_demand")
    if needs.offload:
        if len(needs.weights) - len(needs.encoders) > 1 or needs.streamed:
            names.append("model_offload")
        names.append("sequential_offload")
    return tuple(names)


def held_gib(kind: str, name: str, stage: str = "main") -> float:
    """Weights on the GPU under plan ``name`` during the ``main`` stage (denoising) or the
    ``post`` stage (VAE decode, upscale)."""
    needs = needs_for(kind)
    if name == "resident":
        return needs.total
    w = {k: v for k, v in needs.weights.items() if k not in needs.encoders}
    if name == "encoders_on_demand":
        return sum(w.values())
    if name == "model_offload":
        if needs.streamed:
            return sum(v for k, v in w.items() if k not in needs.streamed) + STREAM_BUFFER_GIB
        # Whole-model offload: the running model plus the small ones that stay; the big
        # model has left by the time the decoder runs.
        small = sum(v for v in w.values() if v < 0.5)
        big = max((v for v in w.values() if v >= 0.5), default=0.0)
        return small + (big if stage == "main" else 0.0)
    return STREAM_BUFFER_GIB


def _fit(kind: str, name: str, usable: float, limit: str) -> MemoryPlan:
    """Plan ``name`` for ``kind`` in ``usable`` GiB, with the flags it needs to fit."""
    needs = needs_for(kind)
    held = held_gib(kind, name)
    room = usable - held - needs.work
    cap = 0
    if needs.batch > 1 and needs.per_item > 0:
        fits = 1 + max(0, math.floor(room / needs.per_item))
        if fits < needs.batch:
            cap = max(1, fits)
    post = held_gib(kind, name, "post")
    tile = 0
    if needs.decode[0] > 0 and post + needs.decode[0] > usable:
        tile = 512 if post + needs.decode[1] <= usable else 256
    tiled_up = needs.upscale[0] > 0 and post + needs.upscale[0] > usable
    slicing = name == "sequential_offload" and needs.slicing
    return MemoryPlan(kind, name, usable, limit, tile, tiled_up, slicing, cap)


def fits(plan: MemoryPlan) -> bool:
    """Whether ``plan`` (with its flags) is expected to run within its usable memory."""
    needs = needs_for(plan.kind)
    held = held_gib(plan.kind, plan.name)
    batch = plan.batch(needs.batch)
    post = held_gib(plan.kind, plan.name, "post")
    main = held + needs.work + needs.per_item * (batch - 1)
    decode = post + needs.decode[{0: 0, 512: 1}.get(plan.vae_tile, 2)]
    upscale = post + needs.upscale[1 if plan.tiled_upscale else 0]
    return max(main, decode, upscale) <= plan.usable_gib


def _no_flags(plan: MemoryPlan) -> bool:
    return not (plan.vae_tiling or plan.tiled_upscale or plan.batch_cap)


def usable_gib(card: CardMemory, budget_bytes: int = 0) -> tuple[float, str]:
    """(GiB a plan may fill, how to name the limit): the smaller of the card and the budget,
    and never more than what is free (other programs' memory is not ours to take)."""
    total = card.total_bytes
    limit = f"{_gib_label(total / GIB)} GB card"
    if 0 < budget_bytes < total:
        total = budget_bytes
        limit = f"{_gib_label(budget_bytes / GIB)} GB budget"
    available = min(total, card.free_bytes + card.held_bytes)
    return available / GIB * USABLE_FRACTION, limit


def choose_plan(
    kind: str, card: CardMemory | None, budget_bytes: int = 0, override: str = AUTO
) -> MemoryPlan:
    """The plan for a ``kind`` job on ``card`` (None: the CPU) under the budget setting.

    Automatic choice: the fastest of ``resident`` / ``encoders_on_demand`` that fits without
    tiling or smaller batches; else the first plan that fits with them (skipping
    ``resident``, since offloading the encoders costs less than tiling); else the leanest.
    ``override`` (the ``plan_override`` setting) names a plan to use instead; a plan that
    does not apply to this job (e.g. encoders for SAM) means the next leaner one.
    """
    if card is None:
        return MemoryPlan(kind, "resident", 0.0, "CPU")
    usable, limit = usable_gib(card, budget_bytes)
    names = candidates(kind)
    if override and override != AUTO:
        if override not in PLANS:
            raise ValueError(f"unknown memory plan {override!r} (use auto or {', '.join(PLANS)})")
        wanted = PLANS.index(override)
        name = next((n for n in names if PLANS.index(n) >= wanted), names[-1])
        return replace(_fit(kind, name, usable, limit), chosen_in_settings=True)
    plans = [_fit(kind, name, usable, limit) for name in names]
    for plan in plans[:2]:
        if _no_flags(plan) and fits(plan):
            return plan
    flagged = plans[1:] if len(names) > 1 and names[1] == "encoders_on_demand" else plans
    for plan in flagged:
        if fits(plan):
            return plan
    return plans[-1]


def plan_for(ctx: Any, kind: str, *also: str) -> MemoryPlan:
    """The plan a pipeline runs ``kind`` under: the one the executor chose for this attempt
    (``ctx.memory_plan``, when it is for ``kind`` or one of ``also``: code shared by several
    job kinds), else the automatic choice for ``ctx.device`` (the CLI, scripts), one plan
    leaner when ``ctx.low_memory`` asks for it."""
    chosen = getattr(ctx, "memory_plan", None)
    if isinstance(chosen, MemoryPlan) and chosen.kind in (kind, *also):
        return chosen
    plan = choose_plan(
        kind,
        card_memory(ctx.device),
        int(getattr(ctx, "vram_budget_bytes", 0) or 0),
        str(getattr(ctx, "plan_override", AUTO) or AUTO),
    )
    if getattr(ctx, "low_memory", False):
        plan = plan.next_down() or plan
    return plan
