#!/usr/bin/env python
"""Draw the app icon into ``src/studio/resources/icons/`` (``studio.png`` 256 px for the Linux
desktop entry and the window, ``studio.ico`` with 16-256 px for the Windows shortcut).

    python installers/make_icon.py

Pillow only and deterministic: a rounded tile with a blue-violet gradient, a white frame
(the canvas) and a four-pointed spark (generation). Drawn at 4x and downsampled.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "src" / "studio" / "resources" / "icons"
SIZE = 256
S = SIZE * 4


def draw() -> Image.Image:
    """The icon at 256 x 256, RGBA."""
    tile = Image.new("RGBA", (S, S))
    top, bottom = (64, 92, 230), (150, 70, 210)
    grad = ImageDraw.Draw(tile)
    for y in range(S):
        t = y / (S - 1)
        grad.line(
            [(0, y), (S, y)],
            fill=tuple(round(a * (1 - t) + b * t) for a, b in zip(top, bottom, strict=True)),
        )
    mask = Image.new("L", (S, S))
    ImageDraw.Draw(mask).rounded_rectangle([16, 16, S - 16, S - 16], radius=S // 5, fill=255)
    icon = Image.new("RGBA", (S, S))
    icon.paste(tile, (0, 0), mask)
    d = ImageDraw.Draw(icon)
    d.rounded_rectangle(
        [S * 0.2, S * 0.26, S * 0.72, S * 0.78], radius=S // 24, outline="white", width=S // 28
    )
    cx, cy, r, w = S * 0.68, S * 0.32, S * 0.17, S * 0.045
    d.polygon(
        [
            (cx, cy - r),
            (cx + w, cy - w),
            (cx + r, cy),
            (cx + w, cy + w),
            (cx, cy + r),
            (cx - w, cy + w),
            (cx - r, cy),
            (cx - w, cy - w),
        ],
        fill=(255, 236, 140),
    )
    return icon.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon = draw()
    icon.save(OUT / "studio.png", optimize=True)
    icon.save(
        OUT / "studio.ico",
        sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)],
    )


if __name__ == "__main__":
    main()
