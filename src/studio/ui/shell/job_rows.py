"""What a jobs-panel row says: readable stage names, progress, ETA and measured figures.

Pipelines report stages through ``ctx.progress(stage, done, total)``. Most stage texts are
already sentences ("Loading RealVisXL", "Upscaling"); the short ones below (kept here, next to
the panel that shows them) read better as words, and an internal-looking key ("refine_tiles")
is spelled out as words rather than shown raw.
"""

from __future__ import annotations

import re

from studio.core.errors import format_size

# stage reported by a pipeline (case-insensitive) -> what the panel says
STAGE_NAMES: dict[str, str] = {
    "drafts": "Drawing drafts",  # headshots.pack
    "refining": "Refining the best",  # headshots.pack (finishing.py)
    "refine": "Refining the best",
    "re-roll": "Re-rolling a portrait",  # headshots.reroll
    "reroll": "Re-rolling a portrait",
    "checking selfies": "Checking the selfies",  # headshots.check
    "live": "Streaming",  # live.stream
    "live frame": "Rendering a frame",  # live.frame
    "filling": "Filling",  # canvas.fill
    "verifying": "Verifying the download",  # models.download
}
DOWNLOADING = "Downloading "  # models/fetch.py counts bytes: shown as sizes
BYTES_AT_LEAST = 1 << 16  # a download's total in bytes is never this small


def stage_name(stage: str) -> str:
    """The words for ``stage``: from :data:`STAGE_NAMES`, or the key spelled out
    ("upscale_tiles" -> "Upscale tiles"); sentences pass unchanged."""
    known = STAGE_NAMES.get(stage.strip().lower())
    if known:
        return known
    if re.fullmatch(r"[a-z0-9]+([_.-][a-z0-9]+)+", stage):  # an internal key
        words = re.sub(r"[_.-]+", " ", stage)
        return words[:1].upper() + words[1:]
    return stage


def eta_text(seconds: float | None) -> str:
    """ "about 12 s left", "about 3 min left", "about 1 h 5 min left"; "" when unknown (the
    service measures it from a stage's second step on)."""
    if seconds is None:
        return ""
    if seconds < 1:
        return "almost done"
    if seconds < 90:
        return f"about {seconds:.0f} s left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"


def bar_text(stage: str, done: int, total: int, eta_s: float | None) -> str:
    """ "8/40 · about 12 s left"; a download in sizes ("120.0 MB / 375.0 MB"); an endless
    job (a Live stream) counts what it did: "89 done"."""
    eta = eta_text(eta_s)
    tail = f" · {eta}" if eta else ""
    if total <= 0:
        return f"{done} done" if done > 0 else "working…"
    if stage.startswith(DOWNLOADING) and total >= BYTES_AT_LEAST:
        return f"{format_size(done)} / {format_size(total)}{tail}"
    return f"{done}/{total}{tail}"


def stats_text(duration_s: float | None, peak_vram_bytes: int) -> str:
    """ "3.2 s · 4.1 GB peak": wall time and the peak VRAM measured while it ran (nothing
    where none was measured, e.g. on the CPU)."""
    text = f"{duration_s or 0:.1f} s"
    if peak_vram_bytes:
        text += f" · {format_size(peak_vram_bytes)} peak"
    return text


def stage_lines(stage_seconds: dict[str, float]) -> str:
    """The measured seconds of each stage, one line each (for the row's tooltip)."""
    return "\n".join(f"{stage_name(k)}: {v:.2f} s" for k, v in stage_seconds.items())
