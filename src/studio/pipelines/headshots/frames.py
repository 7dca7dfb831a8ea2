"""Portrait formats of a headshot pack: square, 4:5 and 2:3 at about the same pixel count."""

from __future__ import annotations

from typing import Any

ASPECTS = ("1:1", "4:5", "2:3")


def frame_size(size: int, aspect: str) -> tuple[int, int]:
    """(width, height) of a portrait in ``aspect`` with about ``size``^2 pixels, both sides
    multiples of 32 (the SDXL UNet's latent grid stays exact): 1024 gives 896x1120 (4:5)
    and 832x1248 (2:3), the sizes SDXL was trained near."""
    aw, ah = (int(v) for v in aspect.split(":"))
    if aw == ah:
        return size, size
    unit = 32 * aw  # a width of this multiple makes width * ah / aw a multiple of 32 too
    width = int(size * (aw / ah) ** 0.5) // unit * unit
    return width, width * ah // aw


def frame_of(settings: dict[str, Any]) -> tuple[int, int]:
    """A pack's (width, height); square ``size`` for packs made before portrait formats."""
    size = int(settings["size"])
    return int(settings.get("width", size)), int(settings.get("height", size))
