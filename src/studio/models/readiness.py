"""What each workspace can do on a given card, from its memory and the catalogue's VRAM figures.

Qt-free, torch-free: the welcome dialog (and ``studio doctor``) call :func:`assess` with the
card's total memory (``None`` or 0 when there is no CUDA GPU) and show one line per workspace.

A workspace is a few tools; a tool runs in steps, and each step needs some models loaded at
the same time (``TOOLS`` below, checked against the catalogue by a test). A tool:

- runs **fully** when all its models fit on the card together (they stay warm between runs);
- runs **with offloading** when each step fits but not all of them at once: the model cache
  moves models off the card between steps, which is slower;
- is **too small** when one step alone needs more than the card has.

"Fits" leaves ``HEADROOM`` of the card for the CUDA context, the display and activations
that the catalogue's per-model estimates do not cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from studio.core.errors import format_size
from studio.models.catalogue import Catalogue

HEADROOM = 0.9  # the share of the card's memory that models may use


@dataclass(frozen=True)
class Tool:
    """One thing a workspace does; ``steps`` are the groups of models loaded together."""

    name: str
    steps: tuple[tuple[str, ...], ...]


# Which models each tool holds on the card at once (the pipelines' defaults: SAM ViT-B for
# selection, U2-Net for cut-outs; the larger variants are optional downloads).
TOOLS: dict[str, tuple[Tool, ...]] = {
    "canvas": (
        Tool("Select", (("sam-vit-b",),)),
        Tool("Remove", (("lama-big",),)),
        Tool("Fill", (("sdxl-inpaint", "sdxl-vae-fp16-fix", "lcm-lora-sdxl"),)),
        Tool("Upscale", (("realesrgan-x4plus",),)),
        Tool("Cut out", (("rembg-u2net",),)),
        Tool("Select by words", (("clipseg-rd64-refined", "sam-vit-b"),)),
    ),
    "headshots": (
        Tool(
            "Pack",
            (
                ("antelopev2",),
                ("realvisxl-v4-lightning", "instantid", "taesdxl"),
                ("realesrgan-x4plus",),
            ),
        ),
    ),
    "lipsync": (
        Tool("Avatar", (("antelopev2", "face-parse-bisenet", "sd-vae-ft-mse"),)),
        Tool("Render", (("musetalk-v15", "sd-vae-ft-mse", "whisper-tiny"),)),
    ),
    "live": (Tool("Stream", (("sd-turbo", "taesd"),)),),
}


class Fit(StrEnum):
    """How well a tool or workspace runs on the card."""

    FULL = "full"
    OFFLOAD = "offload"
    PARTLY = "partly"  # a workspace where some tools are too small and others run
    TOO_SMALL = "too_small"
    CPU = "cpu"


LABELS = {
    Fit.FULL: "Runs fully",
    Fit.OFFLOAD: "Runs with offloading",
    Fit.PARTLY: "Runs partly",
    Fit.TOO_SMALL: "Card too small",
    Fit.CPU: "Runs on the CPU, slowly",
}


@dataclass(frozen=True)
class ToolFit:
    tool: str
    fit: Fit
    all_bytes: int  # every model of the tool at once
    peak_bytes: int  # the largest step

    @property
    def card_needed_bytes(self) -> int:
        """The card size on which the largest step fits (with the headroom)."""
        return int(self.peak_bytes / HEADROOM)


@dataclass(frozen=True)
class WorkspaceFit:
    """One workspace's verdict: ``label`` and ``detail`` are the words the UI shows."""

    workspace: str
    name: str
    fit: Fit
    tools: tuple[ToolFit, ...]

    @property
    def label(self) -> str:
        return LABELS[self.fit]

    @property
    def detail(self) -> str:
        if self.fit is Fit.CPU:
            return "Every tool works, but jobs take minutes instead of seconds."
        if self.fit is Fit.FULL:
            return "All its models fit on the card together."
        parts = []
        small = [t for t in self.tools if t.fit is Fit.TOO_SMALL]
        if small:
            need = max(t.card_needed_bytes for t in small)
            names = [t.tool for t in small]
            parts.append(f"{_verb(names, 'needs')} a card with about {format_size(need)}.")
        swapped = [t.tool for t in self.tools if t.fit is Fit.OFFLOAD]
        if swapped:
            parts.append(f"{_verb(swapped, 'swaps')} models on and off the card between steps.")
        if self.fit is Fit.PARTLY:
            ok = [t.tool for t in self.tools if t.fit is Fit.FULL]
            if ok:
                parts.append(f"{_verb(ok, 'runs')} fully.")
        return " ".join(parts)


def _verb(names: list[str], verb: str) -> str:
    """``"Fill needs"`` or ``"Select, Remove need"``: the verb agrees with the list."""
    return f"{', '.join(names)} {verb if len(names) == 1 else verb[:-1]}"


def tool_fit(tool: Tool, catalogue: Catalogue, card_bytes: int | None) -> ToolFit:
    """How ``tool`` runs on a card of ``card_bytes`` (None or 0: no CUDA GPU, the CPU)."""

    def vram(ids: tuple[str, ...]) -> int:
        return sum(catalogue.get(i).vram_bytes for i in ids)

    every = tuple(dict.fromkeys(i for step in tool.steps for i in step))
    all_bytes, peak = vram(every), max(vram(step) for step in tool.steps)
    if not card_bytes:
        fit = Fit.CPU
    elif all_bytes <= card_bytes * HEADROOM:
        fit = Fit.FULL
    elif peak <= card_bytes * HEADROOM:
        fit = Fit.OFFLOAD
    else:
        fit = Fit.TOO_SMALL
    return ToolFit(tool.name, fit, all_bytes, peak)


def workspace_fit(workspace: str, catalogue: Catalogue, card_bytes: int | None) -> WorkspaceFit:
    """The verdict for one workspace: the worst of its tools, or ``PARTLY`` when some tools
    are too small and others run."""
    tools = tuple(tool_fit(t, catalogue, card_bytes) for t in TOOLS[workspace])
    fits = {t.fit for t in tools}
    if fits == {Fit.CPU}:
        fit = Fit.CPU
    elif fits == {Fit.TOO_SMALL}:
        fit = Fit.TOO_SMALL
    elif Fit.TOO_SMALL in fits:
        fit = Fit.PARTLY
    elif Fit.OFFLOAD in fits:
        fit = Fit.OFFLOAD
    else:
        fit = Fit.FULL
    ws = catalogue.workspaces.get(workspace)
    return WorkspaceFit(workspace, ws.name if ws else workspace.title(), fit, tools)


def workspace_models(workspace: str, catalogue: Catalogue) -> list[str]:
    """The models a workspace's "download" gets, in catalogue order: the ones it requires and
    the ones its tools load by default (larger or alternative variants stay in the Models
    dialog)."""
    ws = catalogue.workspaces.get(workspace)
    wanted = set(ws.required if ws else ()) | {
        i for t in TOOLS.get(workspace, ()) for step in t.steps for i in step
    }
    return [e.id for e in catalogue if e.id in wanted]


def assess(catalogue: Catalogue, card_bytes: int | None) -> list[WorkspaceFit]:
    """Every workspace in ``TOOLS`` order, for a card of ``card_bytes`` (None: CPU only)."""
    return [workspace_fit(w, catalogue, card_bytes) for w in TOOLS]
