"""What the Gallery dialog shows of one result: its details as rich text, its label under the
thumbnail, which of its files are images."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

from studio.core.gallery import GalleryEntry

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
LABEL_CHARS = 40  # of the prompt under a thumbnail


def image_outputs(entry: GalleryEntry) -> list[str]:
    """The entry's output files that are images (whether or not they still exist)."""
    return [p for p in entry.outputs if Path(p).suffix.lower() in IMAGE_SUFFIXES]


def when(entry: GalleryEntry) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))


def item_label(entry: GalleryEntry) -> str:
    """Two short lines: the prompt (or the job kind) and the time."""
    text = entry.prompt.strip() or entry.kind
    if len(text) > LABEL_CHARS:
        text = text[: LABEL_CHARS - 1].rstrip() + "…"
    return f"{text}\n{when(entry)}"


def details_html(entry: GalleryEntry, workspace_title: str, missing_colour: str) -> str:
    """Prompt, seed, models with their hashes, scores, time, output files (missing ones in
    ``missing_colour``) and the other settings."""
    esc = html.escape
    rows = [
        f"<b>{esc(workspace_title)}</b> · {esc(entry.kind)} · result {entry.id}",
        f"<b>Made:</b> {esc(when(entry))}",
        f"<b>Prompt:</b> {esc(entry.prompt) if entry.prompt else '<i>none</i>'}",
        f"<b>Seed:</b> {'—' if entry.seed is None else entry.seed}",
    ]
    if entry.models:
        models = "".join(
            f"<li>{esc(model_id)}: "
            + (f"<code>{esc(digest[:16])}</code>" if digest else "<i>hash unknown</i>")
            + "</li>"
            for model_id, digest in sorted(entry.models.items())
        )
        rows.append(f"<b>Models:</b><ul style='margin:0'>{models}</ul>")
    if entry.scores:
        scores = ", ".join(f"{esc(k)} {v:.3g}" for k, v in sorted(entry.scores.items()))
        rows.append(f"<b>Scores:</b> {scores}")
    files = []
    for path in entry.outputs:
        if Path(path).exists():
            files.append(f"<li>{esc(path)}</li>")
        else:
            files.append(
                f"<li><span style='color:{missing_colour}'>{esc(path)} (missing)</span></li>"
            )
    if files:
        rows.append(f"<b>Files:</b><ul style='margin:0'>{''.join(files)}</ul>")
    shown = {"prompt", "seed"}
    rest = {k: v for k, v in entry.settings.items() if k not in shown}
    if rest:
        text = json.dumps(rest, indent=1, ensure_ascii=False, default=str, sort_keys=True)
        rows.append(f"<b>Settings:</b><pre style='margin:0'>{esc(text)}</pre>")
    return "<br>".join(rows)
