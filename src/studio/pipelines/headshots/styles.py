"""Style packs (``resources/styles/*.json``) and the prompt filter.

A style pack: ``id``, ``name``, ``prompt`` (a template; ``{custom}`` is replaced by the user's
extra text), ``negative_prompt``, ``defaults`` (guidance, steps, refine_steps,
refine_strength, id_strength, control_strength, pose, pose_strength) and an optional
``thumbnail``: an image path relative to the styles folder (``thumbs/<id>.png``,
illustrations drawn by ``scripts/make_style_thumbnails.py``); ``StylePack.thumbnail`` is None
when it is unset or the file is missing.

A style may name a LoRA the user imported (``studio models import``) and its weight:
``"lora": {"model": "user-ink-style", "weight": 0.8}`` (weight -4 to 4, default 1).

Your own styles: JSON files in the same format in :func:`user_styles_dir`
(``<config>/headshot-styles/*.json``, under ``$STUDIO_HOME/config`` when that is set). They are
listed with the shipped ones; one with the id of a shipped style replaces it. A file that is
not a valid style is reported by name (BadInput), never skipped silently.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput
from studio.pipelines import prompt_filter

DEFAULTS: dict[str, Any] = {
    "guidance": 1.8,
    "steps": 6,
    "refine_steps": 6,
    "refine_strength": 0.35,
    "id_strength": 0.8,
    "control_strength": 0.8,
    "pose": True,  # vary the framing a little per image (seeded)
    "pose_strength": 0.6,  # the pose ControlNet's scale, when a pack has a pose
}


@dataclass(frozen=True)
class StylePack:
    id: str
    name: str
    prompt: str
    negative_prompt: str
    defaults: dict[str, Any] = field(default_factory=dict)
    thumbnail: Path | None = None
    lora: str = ""  # an imported LoRA's model id ("" none)
    lora_weight: float = 1.0

    def setting(self, key: str) -> Any:
        return self.defaults.get(key, DEFAULTS[key])

    def render(self, custom: str = "") -> str:
        """The prompt with the user's text in place of ``{custom}`` (checked by the filter)."""
        check_prompt(custom)
        text = self.prompt.replace("{custom}", custom.strip())
        return re.sub(r"(,\s*)+$", "", text.strip())


def styles_dir() -> Path:
    """``$STUDIO_STYLES_DIR``, else the package data ``studio/resources/styles`` (found through
    ``importlib.resources``, so an installed wheel and a checkout read the same files)."""
    from importlib import resources

    env = os.environ.get("STUDIO_STYLES_DIR")
    if env:
        return Path(env)
    # Installed wheels and checkouts are folders on disk (no zip imports), so this is a Path.
    return Path(str(resources.files("studio.resources").joinpath("styles")))


def user_styles_dir() -> Path:
    """Where your own style files live: ``<config>/headshot-styles``."""
    from studio.core.paths import config_dir

    return config_dir() / "headshot-styles"


def _lora(raw: dict[str, Any], path: Path) -> tuple[str, float]:
    """A style's ``lora`` entry: ``{"model": id, "weight": w}`` (or just the id)."""
    value = raw.get("lora") or ""
    if isinstance(value, str):
        value = {"model": value} if value else {}
    model, weight = (
        (value.get("model"), value.get("weight", 1.0)) if isinstance(value, dict) else (None, None)
    )
    if value and (not isinstance(model, str) or not model.strip()):
        raise BadInput(
            f"The style file '{path.name}' names a LoRA without its model id "
            '(write "lora": {"model": "<id from studio models list>", "weight": 0.8}).'
        )
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not -4 <= weight <= 4:
        raise BadInput(
            f"The style file '{path.name}': the LoRA weight must be a number from -4 to 4."
        )
    return (model or "").strip(), float(weight)


def _parse(path: Path) -> StylePack:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        prompt = str(raw["prompt"]).strip()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(
            f"The style file '{path.name}' is not a valid style pack.", str(exc)
        ) from exc
    if not isinstance(raw, dict) or not prompt.replace("{custom}", "").strip(" ,"):
        raise BadInput(f"The style '{raw.get('name', path.stem)}' has an empty prompt.")
    lora, weight = _lora(raw, path)
    return StylePack(
        id=str(raw.get("id", path.stem)),
        name=str(raw.get("name", path.stem)),
        prompt=prompt,
        negative_prompt=str(raw.get("negative_prompt", "")),
        defaults={**DEFAULTS, **dict(raw.get("defaults", {}))},
        thumbnail=_thumbnail(path.parent, raw.get("thumbnail")),
        lora=lora,
        lora_weight=weight,
    )


def _thumbnail(folder: Path, name: Any) -> Path | None:
    """The style's preview image, relative to the styles folder; None when unset or missing."""
    if not name or not isinstance(name, str):
        return None
    path = folder / name
    return path if path.is_file() else None


def list_styles(folder: Path | None = None) -> list[StylePack]:
    """Every style pack, by name: those in ``folder``, or the shipped ones plus your own
    (:func:`user_styles_dir`; yours replace a shipped style of the same id)."""
    if folder is not None:
        return sorted((_parse(p) for p in Path(folder).glob("*.json")), key=lambda s: s.name)
    by_id = {s.id: s for s in (_parse(p) for p in sorted(styles_dir().glob("*.json")))}
    for path in sorted(user_styles_dir().glob("*.json")):
        style = _parse(path)
        by_id[style.id] = style
    return sorted(by_id.values(), key=lambda s: s.name)


def get_style(name: str, folder: Path | None = None) -> StylePack:
    """A style by id or name (case-insensitive); BadInput listing the known ones."""
    styles = list_styles(folder)
    key = name.strip().lower()
    for style in styles:
        if key in (style.id.lower(), style.name.lower()):
            return style
    known = ", ".join(s.id for s in styles)
    raise BadInput(f"Unknown style '{name}'. Known styles: {known}.")


def custom_style(prompt: str, negative: str = "") -> StylePack:
    """A one-off style from the user's own prompt."""
    if not prompt.strip():
        raise BadInput("The custom prompt is empty. Describe the headshot you want.")
    check_prompt(prompt)
    return StylePack("custom", "Custom", prompt.strip(), negative, dict(DEFAULTS))


def check_prompt(text: str) -> None:
    """Refuse disallowed requests with a message (the one filter: :mod:`prompt_filter`)."""
    prompt_filter.check_prompt(text, "Describe clothing, setting and lighting instead.")
