"""The Canvas side of "Use these settings again" (the gallery, or an exported image dropped on
the window): ``apply_settings(settings) -> bool`` (see ``studio.ui.shell.workspace_actions``).

What is reused is Fill's: prompt, negative prompt, seed, steps, strength, guidance, fast
mode, model and LoRA with its weight, taken from the settings' last Fill or Expand edit
(an export lists every edit; the gallery puts the last one on top). The image is not
opened: the settings name only the source file's name, not where it is, and reusing
settings means trying them on the photo in front of you ("Open in Canvas" opens a result).
A model that is not here (deleted, or imported on another computer) keeps the current
choice and the status line says so.
"""

from __future__ import annotations

import math
from typing import Any

FILL_KEYS = ("prompt", "negative_prompt", "seed", "seeds", "steps", "strength", "guidance")


def fill_settings(settings: dict[str, Any]) -> dict[str, Any] | None:
    """The Fill settings inside ``settings`` (a gallery entry's, or an exported file's):
    its own when it holds a prompt, else its last edit that does; None when there are none
    or the settings belong to another workspace."""
    workspace = settings.get("workspace")
    kind = str(settings.get("kind") or "")
    if (isinstance(workspace, str) and workspace and workspace != "canvas") or (
        kind and not kind.startswith("canvas")
    ):
        return None
    if "prompt" in settings:
        return settings
    edits = settings.get("edits")
    found = None
    for edit in edits if isinstance(edits, list) else []:
        if isinstance(edit, dict) and "prompt" in edit:
            found = edit
    return found


def _number(value: Any, kind: type) -> Any:
    """``value`` as ``kind`` (int or float), also from the text a PNG chunk holds; else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return int(number) if kind is int else number


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


class CanvasRecall:
    """Mixed into :class:`CanvasWorkspace`; sets its panel's Fill controls."""

    panel: Any

    def apply_settings(self, settings: dict[str, Any]) -> bool:
        """Put the Fill settings of an earlier result into the panel; False when
        ``settings`` hold none (another workspace's, or only removals and cut-outs)."""
        found = fill_settings(settings) if isinstance(settings, dict) else None
        if found is None:
            return False
        p = self.panel
        p.prompt.setText(str(found.get("prompt") or ""))
        p.negative.setText(str(found.get("negative_prompt") or ""))
        fast = _flag(found.get("fast"))
        if fast is not None:
            p.fast.setChecked(fast)  # first: switching it resets steps and guidance
        seeds = found.get("seeds")
        seed = _number(
            found.get("seed", seeds[0] if isinstance(seeds, list) and seeds else None), int
        )
        if seed is not None and 0 <= seed <= p.seed.maximum():
            p.seed.setValue(seed)
        for name, field, kind in (
            ("steps", p.steps, int),
            ("strength", p.strength, float),
            ("guidance", p.guidance, float),
        ):
            value = _number(found.get(name), kind)
            if value is not None:
                field.setValue(value)
        weight = _number(found.get("lora_weight"), float)
        missing = p.fill_models.choose(
            found.get("model"), found.get("lora"), 1.0 if weight is None else weight
        )
        note = f"; not here: {', '.join(missing)} (kept the current choice)" if missing else ""
        what = f"seed {seed}" if seed is not None else "a random seed"
        p.status.setText(f"Reusing the settings: '{p.prompt.text()}', {what}{note}.")
        return True
