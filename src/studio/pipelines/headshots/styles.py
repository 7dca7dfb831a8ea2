"""Style packs (``resources/styles/*.json``) and the prompt filter.

A style pack: ``id``, ``name``, ``prompt`` (a template; ``{custom}`` is replaced by the user's
extra text), ``negative_prompt``, ``defaults`` (guidance, steps, refine_steps,
refine_strength, id_strength, control_strength, pose) and an optional ``thumbnail``: an image
path relative to the styles folder (``thumbs/<id>.png``, illustrations drawn by
``scripts/make_style_thumbnails.py``); ``StylePack.thumbnail`` is None when it is unset or the
file is missing.
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
    "pose": True,
}


@dataclass(frozen=True)
class StylePack:
    id: str
    name: str
    prompt: str
    negative_prompt: str
    defaults: dict[str, Any] = field(default_factory=dict)
    thumbnail: Path | None = None

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


def _parse(path: Path) -> StylePack:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        prompt = str(raw["prompt"]).strip()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(
            f"The style file '{path.name}' is not a valid style pack.", str(exc)
        ) from exc
    if not prompt.replace("{custom}", "").strip(" ,"):
        raise BadInput(f"The style '{raw.get('name', path.stem)}' has an empty prompt.")
    return StylePack(
        id=str(raw.get("id", path.stem)),
        name=str(raw.get("name", path.stem)),
        prompt=prompt,
        negative_prompt=str(raw.get("negative_prompt", "")),
        defaults={**DEFAULTS, **dict(raw.get("defaults", {}))},
        thumbnail=_thumbnail(path.parent, raw.get("thumbnail")),
    )


def _thumbnail(folder: Path, name: Any) -> Path | None:
    """The style's preview image, relative to the styles folder; None when unset or missing."""
    if not name or not isinstance(name, str):
        return None
    path = folder / name
    return path if path.is_file() else None


def list_styles(folder: Path | None = None) -> list[StylePack]:
    """Every style pack, by name."""
    folder = folder or styles_dir()
    return sorted((_parse(p) for p in Path(folder).glob("*.json")), key=lambda s: s.name)


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
