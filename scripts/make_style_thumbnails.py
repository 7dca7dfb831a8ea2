#!/usr/bin/env python
"""Render the illustrative style thumbnails in ``src/studio/resources/styles/thumbs/<id>.png``.

    python scripts/make_style_thumbnails.py            # every style in src/studio/resources/styles
    python scripts/make_style_thumbnails.py corporate  # just these ids

These are flat illustrations (a faceless head-and-shoulders figure on a background that
suggests the style), not generated samples: Studio ships no trained weights to make real
ones with. Pillow + numpy only and deterministic: the same input gives the same PNGs. Shapes
are drawn at 4x and downsampled for anti-aliasing; each PNG is palette-quantized to stay
under 30 KB.
"""

from __future__ import annotations

import io
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
STYLES = ROOT / "src" / "studio" / "resources" / "styles"  # package data
OUT = 256
S = OUT * 4  # drawing size
MAX_BYTES = 30_000

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    skin: RGB
    hair: RGB
    cloth: RGB  # jacket, coat, tee or sweater
    inner: RGB = (240, 240, 236)  # shirt under a jacket / coat
    outfit: str = "suit"  # suit, blazer, shirt, tee, coat, turtleneck
    tie: RGB | None = None
    hair_style: str = "short"  # short or long
    light: str = "soft"  # soft, rim, side, neon
    grey: bool = False


SKINS = [(241, 201, 170), (224, 172, 134), (198, 140, 100), (141, 94, 64), (232, 190, 160)]
HAIRS = [(58, 42, 34), (28, 24, 24), (110, 74, 44), (150, 112, 70), (84, 84, 90)]


# ---- helpers ------------------------------------------------------------------------------
def _rng(style_id: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(style_id.encode()))


def vgradient(top: RGB, bottom: RGB) -> np.ndarray:
    t = np.linspace(0.0, 1.0, S)[:, None, None]
    return np.broadcast_to(np.array(top) * (1 - t) + np.array(bottom) * t, (S, S, 3)).astype(
        np.float32
    )


def radial(centre: RGB, edge: RGB, cx: float = 0.5, cy: float = 0.42, r: float = 0.8) -> np.ndarray:
    y, x = np.mgrid[0:S, 0:S] / S
    t = np.clip(np.hypot(x - cx, y - cy) / r, 0, 1)[:, :, None] ** 1.4
    return (np.array(centre) * (1 - t) + np.array(edge) * t).astype(np.float32)


def hgradient(left: RGB, right: RGB) -> np.ndarray:
    t = np.linspace(0.0, 1.0, S)[None, :, None]
    return np.broadcast_to(np.array(left) * (1 - t) + np.array(right) * t, (S, S, 3)).astype(
        np.float32
    )


def to_image(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def layer() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    im = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    return im, ImageDraw.Draw(im)


def over(base: Image.Image, top: Image.Image, blur: float = 0) -> Image.Image:
    if blur:  # premultiplied, so edges fade to the layer's colour, not to black
        top = top.convert("RGBa").filter(ImageFilter.GaussianBlur(blur)).convert("RGBA")
    return Image.alpha_composite(base.convert("RGBA"), top).convert("RGB")


def shade(c: RGB, f: float) -> RGB:
    return tuple(int(max(0, min(255, v * f))) for v in c)  # type: ignore[return-value]


# ---- backgrounds --------------------------------------------------------------------------
def bokeh(base: Image.Image, rng: np.random.Generator, colours: list[RGB], n: int) -> Image.Image:
    top, d = layer()
    for _ in range(n):
        x, y = rng.uniform(0, S), rng.uniform(0, S * 0.75)
        r = rng.uniform(30, 110)
        c = colours[int(rng.integers(len(colours)))]
        d.ellipse((x - r, y - r, x + r, y + r), fill=(*c, int(rng.uniform(60, 140))))
    return over(base, top, blur=10)


def buildings(base: Image.Image, rng: np.random.Generator, colour: RGB, lit: RGB) -> Image.Image:
    top, d = layer()
    x = -40.0
    while x < S:
        w, h = rng.uniform(110, 220), rng.uniform(0.35, 0.8) * S
        shadefac = rng.uniform(0.8, 1.1)
        d.rectangle((x, S - h, x + w - 14, S), fill=(*shade(colour, shadefac), 255))
        for wy in np.arange(S - h + 30, S, 56):
            for wx in np.arange(x + 18, x + w - 40, 44):
                if rng.random() < 0.45:
                    d.rectangle((wx, wy, wx + 22, wy + 28), fill=(*lit, 200))
        x += w
    return over(base, top, blur=22)


def backdrop(style_id: str, rng: np.random.Generator) -> Image.Image:
    if style_id == "studio-white":
        return to_image(radial((250, 250, 248), (214, 215, 218)))
    if style_id == "studio-black":
        return to_image(radial((48, 48, 54), (10, 10, 12), r=0.7))
    if style_id == "black-and-white":
        return to_image(radial((170, 170, 170), (70, 70, 70), cx=0.35, r=0.9))
    if style_id == "outdoor-golden":
        img = to_image(vgradient((250, 206, 120), (214, 128, 76)))
        img = bokeh(img, rng, [(255, 236, 170), (255, 210, 140), (255, 248, 220)], 16)
        top, d = layer()  # low sun glow
        d.ellipse((600, -200, 1300, 450), fill=(255, 246, 200, 170))
        return over(img, top, blur=90)
    if style_id == "outdoor-city":
        img = to_image(vgradient((176, 194, 214), (120, 134, 152)))
        return buildings(img, rng, (96, 110, 130), (214, 222, 232))
    if style_id == "cyberpunk":
        img = to_image(vgradient((34, 14, 58), (14, 8, 30)))
        top, d = layer()
        for _ in range(9):
            x, y = rng.uniform(0, S), rng.uniform(0, S * 0.8)
            c = [(255, 40, 200), (30, 230, 255), (160, 80, 255)][int(rng.integers(3))]
            if rng.random() < 0.5:
                d.rounded_rectangle((x, y, x + rng.uniform(120, 300), y + 18), 9, (*c, 230))
            else:
                d.rounded_rectangle((x, y, x + 18, y + rng.uniform(120, 300)), 9, (*c, 230))
        glow = top.convert("RGBa").filter(ImageFilter.GaussianBlur(30)).convert("RGBA")
        return over(over(img, glow), top, blur=5)
    if style_id == "linkedin":
        return to_image(radial((226, 236, 246), (132, 160, 196), cx=0.5, cy=0.35, r=0.85))
    if style_id == "corporate":
        img = to_image(vgradient((120, 136, 154), (78, 90, 106)))
        top, d = layer()  # blurred window grid of an office
        for x in range(-60, S, 260):
            d.rectangle((x, 0, x + 200, S * 0.72), fill=(200, 214, 230, 120))
        d.rectangle((0, S * 0.72, S, S), fill=(60, 70, 84, 60))
        return over(img, top, blur=28)
    if style_id == "doctor":
        img = to_image(radial((240, 248, 250), (190, 214, 222)))
        top, d = layer()
        d.rectangle((660, 80, 1100, 560), fill=(255, 255, 255, 150))
        d.rectangle((-80, 620, 300, S), fill=(150, 196, 204, 90))
        return over(img, top, blur=30)
    if style_id == "academic":
        img = to_image(vgradient((96, 62, 38), (60, 38, 24)))
        top, d = layer()
        spines = [(140, 40, 36), (46, 78, 60), (36, 52, 96), (196, 160, 98), (110, 70, 44)]
        for shelf in range(0, S, 230):
            x = 0.0
            while x < S:
                w, h = rng.uniform(26, 52), rng.uniform(150, 200)
                c = spines[int(rng.integers(len(spines)))]
                d.rectangle((x, shelf + 210 - h, x + w - 4, shelf + 210), fill=(*c, 255))
                x += w
            d.rectangle((0, shelf + 210, S, shelf + 230), fill=(70, 44, 26, 255))
        return over(img, top, blur=16)
    if style_id == "actor":
        return to_image(hgradient((92, 74, 62), (16, 14, 16)))
    if style_id == "creative":
        img = to_image(radial((252, 240, 226), (246, 214, 200)))
        top, d = layer()
        for (x, y, r), c in zip(
            [(120, 160, 260), (880, 220, 230), (780, 760, 300), (160, 820, 220), (520, 40, 160)],
            [(255, 120, 96), (60, 190, 180), (255, 200, 60), (140, 110, 230), (255, 150, 200)],
            strict=True,
        ):
            d.ellipse((x - r, y - r, x + r, y + r), fill=(*c, 220))
        return over(img, top, blur=40)
    if style_id == "tech-founder":  # a loft office: glass wall, warm pendant lights
        img = to_image(vgradient((92, 112, 124), (52, 64, 74)))
        top, d = layer()
        for x in range(40, S, 300):
            d.rectangle((x, 0, x + 16, S), fill=(170, 200, 210, 120))
        d.rectangle((0, 700, S, 716), fill=(170, 200, 210, 100))
        for x, y in ((160, 150), (520, 90), (880, 170)):
            d.ellipse((x - 46, y - 46, x + 46, y + 46), fill=(255, 214, 150, 230))
        return over(img, top, blur=20)
    if style_id == "real-estate":
        img = to_image(vgradient((248, 244, 236), (232, 224, 212)))
        top, d = layer()
        for x in (40, 330):  # a bright window and a floor
            d.rectangle((x, 60, x + 250, 640), fill=(255, 255, 255, 255))
            d.rectangle((x + 118, 60, x + 132, 640), fill=(226, 220, 210, 255))
        d.rectangle((0, 780, S, S), fill=(196, 160, 120, 255))
        d.ellipse((760, 260, 1020, 560), fill=(110, 150, 96, 230))  # a plant
        return over(img, top, blur=26)
    return to_image(radial((236, 236, 236), (190, 190, 196)))


# ---- the figure ---------------------------------------------------------------------------
def figure(look: Look) -> Image.Image:
    fig, d = layer()
    skin, neck = look.skin, shade(look.skin, 0.86)
    cx = S // 2
    if look.hair_style == "long":  # hair falling behind the shoulders
        d.rounded_rectangle((cx - 178, 260, cx + 178, 820), 150, (*look.hair, 255))
    torso = (cx - 420, 775, cx + 420, S + 300)
    d.rounded_rectangle(torso, 250, (*look.cloth, 255))
    if look.outfit in ("suit", "blazer", "coat"):
        inner = look.inner
        d.polygon([(cx - 130, 790), (cx, S + 10), (cx + 130, 790)], fill=(*inner, 255))
        if look.tie:
            d.polygon(
                [(cx - 24, 850), (cx + 24, 850), (cx + 40, 990), (cx, S + 10), (cx - 40, 990)],
                fill=(*look.tie, 255),
            )
            d.polygon(
                [(cx - 30, 818), (cx + 30, 818), (cx + 22, 856), (cx - 22, 856)],
                fill=(*shade(look.tie, 0.85), 255),
            )
        lapel = shade(look.cloth, 0.88)
        for s in (-1, 1):
            d.polygon(
                [
                    (cx + s * 130, 790),
                    (cx + s * 14, S + 10),
                    (cx + s * 60, S + 10),
                    (cx + s * 170, 880),
                    (cx + s * 150, 800),
                ],
                fill=(*lapel, 255),
            )
        for s in (-1, 1):  # shirt collar points
            d.polygon(
                [(cx + s * 80, 780), (cx + s * 4, 850), (cx + s * 96, 880)],
                fill=(*shade(inner, 0.93), 255),
            )
        if look.outfit == "coat":  # stethoscope
            d.arc((cx - 150, 700, cx + 150, 1010), 20, 160, fill=(60, 66, 74, 255), width=16)
            d.ellipse((cx + 110, 930, cx + 160, 980), fill=(150, 156, 164, 255))
    elif look.outfit == "shirt":
        d.polygon([(cx - 90, 790), (cx, 900), (cx + 90, 790)], fill=(*neck, 255))
        for s in (-1, 1):
            d.polygon(
                [(cx + s * 110, 770), (cx + s * 6, 890), (cx + s * 130, 900)],
                fill=(*shade(look.cloth, 0.9), 255),
            )
        d.line([(cx, 900), (cx, S)], fill=(*shade(look.cloth, 0.85), 255), width=8)
    elif look.outfit == "tee":
        d.ellipse((cx - 100, 748, cx + 100, 872), fill=(*shade(look.cloth, 0.8), 255))
        d.ellipse((cx - 84, 744, cx + 84, 852), fill=(*neck, 255))
    elif look.outfit == "turtleneck":
        d.rounded_rectangle((cx - 96, 700, cx + 96, 850), 40, (*shade(look.cloth, 0.9), 255))
    if look.outfit != "turtleneck":
        d.rounded_rectangle(
            (cx - 72, 560, cx + 72, 800 if look.outfit != "tee" else 810), 60, (*neck, 255)
        )
    else:
        d.rounded_rectangle((cx - 72, 560, cx + 72, 720), 50, (*neck, 255))
    for s in (-1, 1):  # ears
        d.ellipse((cx + s * 150 - 24, 410, cx + s * 150 + 24, 500), fill=(*neck, 255))
    d.ellipse((cx - 150, 250, cx + 150, 630), fill=(*skin, 255))
    # hair: a cap above a side-swept hairline
    cap = Image.new("L", (S, S), 0)
    ImageDraw.Draw(cap).ellipse((cx - 166, 222, cx + 166, 600), fill=255)
    # the hairline: a parting left of centre, swept down over the right temple
    xs = np.arange(S)[None, :]
    hairline = 350 + 0.0036 * (xs - (cx - 50)) ** 2
    face_np = np.arange(S)[:, None] > hairline
    if look.hair_style == "long":
        face_np[440:700, cx - 128 : cx + 128] = True
    face = Image.fromarray((face_np * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.5))
    hair = ImageChops.subtract(cap, face)
    fig.paste((*look.hair, 255), (0, 0), hair)
    return fig


def light(fig: Image.Image, look: Look, style_id: str) -> Image.Image:
    arr = np.asarray(fig).astype(np.float32)
    alpha = arr[:, :, 3] / 255
    x = np.linspace(0, 1, S)[None, :]
    if look.light == "side":  # warm key from the left, deep shadow on the right
        arr[:, :, :3] *= (1.25 - 0.85 * x)[:, :, None]
    elif look.light in ("soft", "rim"):
        arr[:, :, :3] *= (1.06 - 0.12 * x)[:, :, None]
    rims: list[tuple[int, RGB]] = []
    if look.light == "rim":
        rims = [(-1, (230, 230, 240)), (1, (200, 200, 214))]
    elif look.light == "neon":
        rims = [(-1, (255, 50, 210)), (1, (40, 230, 255))]
    elif look.light == "side":
        rims = [(-1, (255, 214, 170))]
    for side, colour in rims:
        shifted = np.roll(alpha, -side * 14, axis=1)
        shifted = np.minimum(shifted, np.roll(alpha, 10, axis=0))
        edge = np.clip(alpha - shifted, 0, 1)
        edge_img = Image.fromarray((edge * 255).astype(np.uint8)).filter(
            ImageFilter.GaussianBlur(5)
        )
        e = np.asarray(edge_img).astype(np.float32)[:, :, None] / 255 * alpha[:, :, None]
        arr[:, :, :3] = arr[:, :, :3] * (1 - 0.85 * e) + np.array(colour) * 0.85 * e * 1.1
    arr[:, :, :3] = np.clip(arr[:, :, :3], 0, 255)
    return Image.fromarray(arr.astype(np.uint8), "RGBA")


def drop_shadow(base: Image.Image, fig: Image.Image, strength: int) -> Image.Image:
    a = fig.getchannel("A").filter(ImageFilter.GaussianBlur(30))
    shadow = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    shadow.paste((0, 0, 0, strength), (24, 16), a)
    return over(base, shadow)


LOOKS: dict[str, Look] = {
    "studio-white": Look(SKINS[0], HAIRS[2], (214, 228, 242), outfit="shirt"),
    "studio-black": Look(SKINS[2], HAIRS[1], (34, 34, 38), outfit="turtleneck", light="rim"),
    "black-and-white": Look(
        SKINS[1],
        HAIRS[0],
        (60, 60, 64),
        (236, 236, 236),
        "suit",
        tie=(40, 40, 44),
        grey=True,
        light="side",
    ),
    "outdoor-golden": Look(SKINS[4], HAIRS[3], (118, 140, 96), outfit="shirt", hair_style="long"),
    "outdoor-city": Look(SKINS[3], HAIRS[1], (70, 78, 92), (170, 176, 186), "blazer"),
    "cyberpunk": Look(
        SKINS[1], (40, 30, 70), (30, 28, 44), outfit="tee", light="neon", hair_style="long"
    ),
    "corporate": Look(SKINS[0], HAIRS[0], (48, 56, 72), tie=(130, 36, 48)),
    "linkedin": Look(
        SKINS[2], HAIRS[1], (40, 64, 110), (244, 246, 250), "blazer", hair_style="long"
    ),
    "doctor": Look(SKINS[1], HAIRS[0], (246, 248, 250), (82, 160, 170), "coat"),
    "academic": Look(SKINS[4], HAIRS[4], (120, 92, 62), (196, 214, 232), "blazer"),
    "actor": Look(SKINS[2], HAIRS[1], (26, 24, 26), outfit="tee", light="side"),
    "creative": Look(SKINS[3], HAIRS[1], (232, 170, 50), outfit="turtleneck", hair_style="long"),
    "tech-founder": Look(SKINS[0], HAIRS[2], (36, 38, 44), outfit="tee"),
    "real-estate": Look(
        SKINS[1], HAIRS[3], (36, 52, 84), (214, 230, 244), "blazer", hair_style="long"
    ),
}


def render(style_id: str) -> Image.Image:
    """One 256x256 RGB thumbnail."""
    look = LOOKS.get(style_id, Look(SKINS[0], HAIRS[0], (80, 90, 110)))
    base = backdrop(style_id, _rng(style_id))
    fig = light(figure(look), look, style_id)
    if style_id in ("studio-white", "real-estate", "doctor", "linkedin", "creative"):
        base = drop_shadow(base, fig, 60)
    img = over(base, fig).resize((OUT, OUT), Image.Resampling.LANCZOS)
    if look.grey:
        img = img.convert("L").convert("RGB")
    return img


def encode(img: Image.Image) -> bytes:
    """The smallest palette PNG under MAX_BYTES (most colours first)."""
    data = b""
    for colours in (256, 192, 128, 96, 64):
        palette = img.quantize(colours, method=Image.Quantize.MEDIANCUT)
        q = img.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)
        buf = io.BytesIO()
        q.save(buf, "PNG", optimize=True)
        data = buf.getvalue()
        if len(data) < MAX_BYTES:
            break
    return data


def main(ids: list[str]) -> int:
    out = STYLES / "thumbs"
    out.mkdir(exist_ok=True)
    ids = ids or sorted(p.stem for p in STYLES.glob("*.json"))
    for style_id in ids:
        data = encode(render(style_id))
        (out / f"{style_id}.png").write_bytes(data)
        print(f"{style_id}: {len(data) / 1000:.1f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
