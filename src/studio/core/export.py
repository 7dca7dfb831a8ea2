"""Export an edited image as PNG, JPEG or WebP with the edit settings in its metadata (no Qt).

The settings (a JSON-able dict: the edits applied, prompts, seeds, models) are stored where
common tools look and where :func:`read_settings` finds them again:

- PNG: an iTXt chunk ``studio:settings`` (UTF-8 JSON) plus ``Software``;
- JPEG / WebP: EXIF ``UserComment`` (``UNICODE`` prefix, UTF-16BE JSON, as the EXIF
  standard defines it) plus ``Software``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput

SETTINGS_KEY = "studio:settings"
SOFTWARE = "Studio"
EXPORT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286
_SOFTWARE = 0x0131
_UNICODE = b"UNICODE\0"
_ASCII = b"ASCII\0\0\0"


def export_image(
    image: Any, path: str | Path, settings: dict[str, Any] | None = None, quality: int = 95
) -> Path:
    """Write ``image`` (PIL image or HxWx3/4 uint8 array) to ``path`` by its extension.

    JPEG has no transparency: an RGBA image is composited over white first. The file is
    written under a temporary name and renamed, so a failed export never leaves half a file.
    """
    from PIL import Image, PngImagePlugin

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in EXPORT_FORMATS:
        raise BadInput(f"Cannot export '{path.name}': use .png, .jpg or .webp.")
    if not 1 <= int(quality) <= 100:
        raise BadInput("Quality must be between 1 and 100.")
    img = image if hasattr(image, "save") else Image.fromarray(image)
    text = json.dumps(settings or {}, ensure_ascii=False, default=str)
    kwargs: dict[str, Any] = {}
    if ext == ".png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", SOFTWARE)
        info.add_itxt(SETTINGS_KEY, text)
        kwargs["pnginfo"] = info
    else:
        if ext != ".webp" and img.mode not in ("RGB", "L"):
            img = _flatten(img)
        exif = Image.Exif()
        exif[_SOFTWARE] = SOFTWARE
        exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = _UNICODE + text.encode("utf-16-be")
        kwargs.update(exif=exif.tobytes(), quality=int(quality))
    from studio.core.outputs import atomic_path

    with atomic_path(path) as tmp:  # OSError -> BadInput naming the file; tmp removed
        img.save(tmp, format=EXPORT_FORMATS[ext], **kwargs)
    return path


def read_settings(path: str | Path) -> dict[str, Any] | None:
    """The settings :func:`export_image` stored in ``path``, or None if it has none."""
    from PIL import Image

    with Image.open(path) as img:
        text = img.info.get(SETTINGS_KEY)
        if text is None:
            raw = img.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT)
            text = _decode_comment(raw) if raw else None
    if not text:
        return None
    try:
        value = json.loads(str(text))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _decode_comment(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw
    data = bytes(raw)
    if data.startswith(_UNICODE):
        body = data[len(_UNICODE) :]
        # Writers disagree on byte order; JSON starts with "{", so the zero byte tells.
        return body.decode("utf-16-be" if body[:1] == b"\0" else "utf-16-le", errors="replace")
    if data.startswith(_ASCII):
        return data[len(_ASCII) :].decode("ascii", errors="replace")
    return None


def _flatten(img: Any) -> Any:
    from studio.core.imageio import flatten

    return flatten(img)
