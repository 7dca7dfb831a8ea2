"""Read Studio's settings back from an image it wrote (no Qt).

Three writers put settings into files, and this reads each of them:

- the app's export (:func:`studio.core.export.export_image`): PNG iTXt ``studio:settings``,
  JPEG/WebP EXIF ``UserComment`` (JSON);
- the headshots export (:func:`studio.pipelines.headshots.packs.export_images`): JSON in EXIF
  ``ImageDescription`` with ``Software`` "Studio headshots";
- the command line's ``save_image`` (older ``studio canvas`` outputs): plain PNG text chunks,
  recognised by a ``studio`` chunk or a ``prompt`` + ``seed`` pair.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput

_IMAGE_DESCRIPTION = 0x010E
_SOFTWARE = 0x0131
HEADSHOTS_SOFTWARE = "Studio headshots"


class NoStudioSettings(BadInput):
    """The file is an image but holds no settings Studio wrote."""


def read_settings(path: str | Path) -> dict[str, Any]:
    """The settings stored in an exported PNG/JPEG/WebP, as the dict that was written.

    :class:`NoStudioSettings` when the image carries none ("no Studio settings in this
    file"); :class:`BadInput` when the file is missing or not an image.
    """
    from studio.core import export
    from studio.core.imageio import _open

    path = Path(path)
    img, name = _open(path)
    with img:
        found = export.read_settings(path)
        if found is None:
            found = _headshots(img) or _text_chunks(img)
    if found is None:
        raise NoStudioSettings(
            f"There are no Studio settings in '{name}'. Only images exported by Studio carry them.",
            str(path),
        )
    return found


def _headshots(img: Any) -> dict[str, Any] | None:
    try:
        exif = img.getexif()
    except Exception:  # a damaged EXIF block is "no settings", not a crash
        return None
    if exif.get(_SOFTWARE) != HEADSHOTS_SOFTWARE:
        return None
    try:
        value = json.loads(str(exif.get(_IMAGE_DESCRIPTION, "")))
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    return {"workspace": "headshots", **value}


def _text_chunks(img: Any) -> dict[str, Any] | None:
    text = {k: v for k, v in getattr(img, "text", {}).items() if isinstance(v, str)}
    if "studio" not in text and not {"prompt", "seed"} <= set(text):
        return None
    out: dict[str, Any] = {}
    for key, value in text.items():
        if key == "studio":
            out["kind"] = value
            out["workspace"] = value.partition(".")[0]
        elif key == "seed" and value.lstrip("-").isdigit():
            out["seed"] = int(value)
        else:
            out[key] = value
    return out
