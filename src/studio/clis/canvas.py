"""``studio canvas segment|remove|fill|cutout|upscale``: the canvas pipelines headless.

Regions come from ``--mask FILE`` or from clicks (``--point x,y`` to include,
``--exclude x,y`` to exclude, ``--box x0,y0,x1,y1``), which run SAM first.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.core.errors import BadInput, StudioError

OPS = ("segment", "remove", "fill", "cutout", "upscale")


def _pair(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected x,y but got '{text}'") from None
    return x, y


def _box(text: str) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected x0,y0,x1,y1 but got '{text}'") from None
    return x0, y0, x1, y1


def _colour(text: str) -> tuple[int, int, int]:
    value = text.lstrip("#")
    if len(value) != 6:
        raise argparse.ArgumentTypeError(f"expected a colour like #ffffff, got '{text}'")
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a colour like #ffffff, got '{text}'") from None


def register(subparsers: Any) -> None:
    """Add the ``canvas`` subcommand with one sub-subcommand per operation."""
    parser = subparsers.add_parser("canvas", help="segment, remove, fill, cut out or upscale")
    ops = parser.add_subparsers(dest="canvas_op", required=True)
    for op in OPS:
        p = ops.add_parser(op)
        p.add_argument("--image", required=True, help="input image (PNG, JPEG, WebP, TIFF)")
        p.add_argument("-o", "--output", required=True, help="output file (.png, .jpg, .webp)")
        p.add_argument("--model", default=None, help="model id from the catalogue")
        p.add_argument("-q", "--quiet", action="store_true")
        if op in ("segment", "remove", "fill"):
            p.add_argument("--mask", help="mask image (white = selected)")
            p.add_argument(
                "--point",
                type=_pair,
                action="append",
                default=[],
                help="x,y of a point on the object (repeatable)",
            )
            p.add_argument(
                "--exclude",
                type=_pair,
                action="append",
                default=[],
                help="x,y of a point not on the object (repeatable)",
            )
            p.add_argument("--box", type=_box, help="x0,y0,x1,y1 around the object")
            p.add_argument("--sam-model", default="sam-vit-b")
        if op in ("remove", "fill"):
            p.add_argument("--feather", type=int, default=8, help="blend width in pixels")
        if op == "fill":
            p.add_argument("--prompt", default="")
            p.add_argument("--negative", default="")
            p.add_argument("--steps", type=int, default=None)
            p.add_argument("--strength", type=float, default=0.99)
            p.add_argument("--guidance", type=float, default=None)
            p.add_argument("--seed", type=int, default=None)
            p.add_argument("--variations", type=int, default=1)
            p.add_argument("--fast", action="store_true", help="LCM-LoRA, few steps")
            p.add_argument(
                "--work-side",
                type=int,
                default=1024,
                help="working resolution of the region's longer side",
            )
        if op == "cutout":
            p.add_argument(
                "--background",
                type=_colour,
                default=None,
                help="solid background colour (#rrggbb); default transparent",
            )
        if op == "upscale":
            p.add_argument("--tile", type=int, default=512)
        if op == "segment":
            p.add_argument("--grow", type=int, default=0, help="grow the mask by N pixels")
    parser.set_defaults(func=main)


def _region(args: argparse.Namespace, image: Any, ctx: Any) -> Any:
    from studio.core.imageio import load_mask

    if args.mask:
        return load_mask(args.mask, image.size)
    if not (args.point or args.exclude or args.box):
        raise BadInput("Give --mask FILE, or --point x,y (and/or --box) to select the object.")
    from studio.pipelines.canvas.segment import SegmentRequest
    from studio.pipelines.canvas.segment import run as segment

    labels = [1] * len(args.point) + [0] * len(args.exclude)
    req = SegmentRequest(
        image=image,
        points=list(args.point) + list(args.exclude),
        labels=labels,
        box=args.box,
        model=args.sam_model,
    )
    return segment(req, ctx).mask


def _run(args: argparse.Namespace) -> None:
    from studio.core.imageio import load_image, save_image
    from studio.services.headless import headless_context

    ctx = headless_context(quiet=args.quiet)
    image = load_image(args.image)
    op = args.canvas_op
    model = {"model": args.model} if args.model else {}
    if op == "segment":
        from studio.pipelines.canvas.masks import grow

        mask = _region(args, image, ctx)
        save_image(grow(mask, args.grow) if args.grow else mask, args.output)
    elif op == "remove":
        from studio.pipelines.canvas.remove import RemoveRequest
        from studio.pipelines.canvas.remove import run as remove

        mask = _region(args, image, ctx)
        res = remove(RemoveRequest(image=image, mask=mask, feather_px=args.feather, **model), ctx)
        save_image(res.image, args.output, {"studio": "canvas.remove"})
    elif op == "fill":
        from studio.pipelines.canvas.fill import FillRequest
        from studio.pipelines.canvas.fill import run as fill

        mask = _region(args, image, ctx)
        steps = args.steps or (6 if args.fast else 30)
        guidance = args.guidance if args.guidance is not None else (1.0 if args.fast else 7.0)
        req = FillRequest(
            image=image,
            mask=mask,
            prompt=args.prompt,
            negative_prompt=args.negative,
            steps=steps,
            strength=args.strength,
            guidance=guidance,
            seed=args.seed,
            variations=args.variations,
            fast=args.fast,
            feather_px=args.feather,
            work_side=args.work_side,
            **model,
        )
        filled = fill(req, ctx)
        meta = {k: str(v) for k, v in filled.settings.items()}
        for i, img in enumerate(filled.images):
            out = args.output if i == 0 else _numbered(args.output, i)
            save_image(img, out, {**meta, "seed": str(filled.seeds[i])})
    elif op == "cutout":
        from studio.pipelines.canvas.cutout import CutoutRequest
        from studio.pipelines.canvas.cutout import run as cutout

        cut = cutout(CutoutRequest(image=image, background=args.background, **model), ctx)
        save_image(cut.image, args.output)
    elif op == "upscale":
        from studio.pipelines.canvas.upscale import UpscaleRequest
        from studio.pipelines.canvas.upscale import run as upscale

        big = upscale(UpscaleRequest(image=image, tile=args.tile, **model), ctx)
        save_image(big.image, args.output)


def _numbered(path: str, i: int) -> str:
    from pathlib import Path

    p = Path(path)
    return str(p.with_name(f"{p.stem}-{i + 1}{p.suffix}"))


def main(args: argparse.Namespace) -> int:
    """Run one canvas operation; ``error: <message>`` on stderr and exit code 2 on failure."""
    try:
        _run(args)
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(args.output)
    return 0
