"""Using a headshots result's settings again: File > Gallery's "Use These Settings Again" or an
exported portrait dropped on the window (``ui/shell/recall.py``) hands the workspace's
``apply_settings`` a dict, which lands in the Style step's controls.

Two shapes arrive: a gallery entry's settings (the pack's settings with ``style``, ``prompt``
and ``seed`` beside them, flat) and an exported file's metadata (``style``, ``prompt``, the
image's ``seed``, and the pack's settings nested under ``settings``). The pack's own values
win: its seed re-draws the pack, the image's alone would not.

Every value is checked before anything changes: settings it cannot use (another workspace's,
a style this installation lacks, a value out of range) change nothing and answer False.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from studio.core.errors import StudioError
from studio.pipelines.headshots.frames import ASPECTS
from studio.ui.workspaces.headshots.pose_picker import POSE_PRESETS
from studio.ui.workspaces.headshots.style_options import MAX_SEED

if TYPE_CHECKING:
    from studio.pipelines.headshots.styles import StylePack
    from studio.ui.workspaces.headshots.style_step import StyleStep

WORKSPACE = "headshots"
# setting -> (lowest, highest) for the whole numbers the Style step shows
WHOLE = {"count": (1, 200), "refine_top_k": (0, 50), "size": (64, 2048), "seed": (0, MAX_SEED)}


def flatten(settings: dict[str, Any]) -> dict[str, Any]:
    """One level: an exported file's nested pack settings over its top-level keys."""
    nested = settings.get("settings")
    return {**settings, **nested} if isinstance(nested, dict) else dict(settings)


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def custom_text(style: StylePack, prompt: str) -> str | None:
    """The user's extra text that ``style`` rendered into ``prompt`` ("" for none); None
    when ``prompt`` is not this style's (its template changed since)."""
    template = style.prompt.strip()
    pattern = re.escape(template).replace(re.escape("{custom}"), "(.*)")
    found = re.fullmatch(pattern, prompt, re.DOTALL)
    candidates = ([found.group(1)] if found and found.groups() else []) + [""]
    for text in candidates:
        try:
            if style.render(text) == prompt:
                return text.strip()
        except StudioError:  # refused by the prompt filter: not what was rendered
            continue
    return None


def read_choices(step: StyleStep, settings: dict[str, Any]) -> dict[str, Any] | None:
    """What ``settings`` sets in ``step`` (checked), or None when they cannot be used."""
    flat = flatten(settings)
    if flat.get("workspace", WORKSPACE) != WORKSPACE:
        return None
    choices: dict[str, Any] = {}
    style = flat.get("style")
    if style is not None:
        if style != "custom" and style not in step.styles:
            return None
        choices["style"] = style
        prompt = flat.get("prompt")
        if isinstance(prompt, str):
            text = prompt if style == "custom" else custom_text(step.styles[style], prompt)
            choices["prompt"] = text or ""
    for key, (low, high) in WHOLE.items():
        if key in flat:
            if not _whole(flat[key], low, high) or (key == "size" and flat[key] % 64):
                return None
            choices[key] = flat[key]
    if "aspect" in flat:
        if flat["aspect"] not in ASPECTS:
            return None
        choices["aspect"] = flat["aspect"]
    if "upscale" in flat:
        if not isinstance(flat["upscale"], bool):
            return None
        choices["upscale"] = flat["upscale"]
    if "face_detail" in flat:
        value = flat["face_detail"]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not 0 <= value <= 1:
            return None
        choices["face_detail"] = float(value)
    kind = flat.get("pose_kind")
    if isinstance(kind, str) and kind != "photo":  # a photo is not kept with the pack
        if kind and kind not in POSE_PRESETS:
            return None
        choices["pose"] = kind
    if flat.get("face_fix") in ("", "inpaint"):
        choices["face_fix"] = flat["face_fix"]
    return choices or None


def apply_settings(step: StyleStep, settings: dict[str, Any]) -> bool:
    """Set ``step``'s controls from ``settings``; True when applied, False (nothing changed)
    when they cannot be used. A seed is applied as a fixed seed, under More options, which
    opens to show it."""
    choices = read_choices(step, settings)
    if choices is None:
        return False
    if "style" in choices:
        step.style_box.setCurrentIndex(step.style_box.findData(choices["style"]))
    if "prompt" in choices:
        step.prompt.setText(choices["prompt"])
    for key, box in (("count", step.count), ("refine_top_k", step.top_k)):
        if key in choices:
            box.setValue(choices[key])
    if "size" in choices:
        step.image_size.setValue(choices["size"])
    if "aspect" in choices:
        step.format.set_aspect(choices["aspect"])
    if "upscale" in choices:
        step.upscale.setChecked(choices["upscale"])
    if "face_detail" in choices:
        step.face_detail.set_strength(choices["face_detail"])
    if "pose" in choices:
        step.pose.set_pose(choices["pose"])
    if "face_fix" in choices:
        step.pose.face_fix.setChecked(choices["face_fix"] == "inpaint")
    if "seed" in choices:
        step.more.set_seed(choices["seed"])
        step.more.show_panel(True)
    return True
