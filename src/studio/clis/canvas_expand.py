"""``studio canvas expand``: grow the canvas by pixels per side or to an aspect ratio.

    studio canvas expand photo.png --right 256 --bottom 128 -o out.png
    studio canvas expand photo.png --aspect 16:9 --prompt "a beach at dusk" -o wide.png

The result is written with its settings in the file's metadata (as the app's export does),
so they can be read back later.
"""

from __future__ import annotations

import argparse
from typing import Any

from studio import cli_options as opt
from studio.core.errors import BadInput
from studio.remote.cli_support import add_server_arguments, job_runner


def _pixels(text: str) -> int:
    """A whole number; the range is the pipeline's to check (one message for CLI and app)."""
    try:
        return int(text)
    except ValueError:
        message = f"expected a whole number of pixels, got '{text}'"
        raise argparse.ArgumentTypeError(message) from None


def add_parser(ops: Any) -> None:
    """Add ``expand`` to the ``canvas`` sub-commands."""
    from studio.pipelines.canvas.expand import ASPECTS, MAX_SEAM

    p = ops.add_parser("expand", help="extend the canvas and fill the new area (outpainting)")
    p.add_argument("image_pos", nargs="?", type=opt.input_file, metavar="IMAGE", help="input")
    p.add_argument("--image", type=opt.input_file, help="input (instead of the positional)")
    p.add_argument("-o", "--output", required=True, help="output file (.png, .jpg, .webp)")
    for side in ("left", "top", "right", "bottom"):
        p.add_argument(f"--{side}", type=_pixels, default=0, help=f"pixels to add on the {side}")
    p.add_argument(
        "--aspect", default=None, help=f"grow to an aspect ratio, e.g. {', '.join(ASPECTS)}"
    )
    p.add_argument("--prompt", default="", help="what the new area should show")
    p.add_argument("--negative", default="")
    p.add_argument("--steps", type=opt.bounded_int(1, 150), default=None, help="default 8 (fast)")
    p.add_argument("--strength", type=opt.bounded_float(0, 1, lo_open=True), default=0.9)
    p.add_argument("--guidance", type=opt.bounded_float(0, 30), default=None)
    p.add_argument("--seed", type=opt.seed, default=None)
    p.add_argument("--quality", action="store_true", help="full SDXL steps instead of LCM")
    p.add_argument(
        "--seam", type=opt.bounded_int(0, MAX_SEAM), default=32, help="seam blend band (px)"
    )
    p.add_argument("--work-side", type=opt.bounded_int(64, 2048), default=1024)
    p.add_argument("--model", type=opt.model_id("fill"), default=None, help="inpainting model")
    p.add_argument("-q", "--quiet", action="store_true")
    add_server_arguments(p)


def run(args: argparse.Namespace, ctx_factory: Any) -> None:
    """Expand ``args.image`` and write ``args.output``; :class:`BadInput` for bad values,
    raised before any model loads."""
    from studio.core.export import EXPORT_FORMATS, export_image
    from studio.core.imageio import load_image
    from studio.pipelines.canvas.expand import ExpandRequest, padding
    from studio.pipelines.canvas.expand import run as expand

    source = args.image or args.image_pos
    if source is None or (args.image and args.image_pos):
        raise BadInput("Give the image to expand once: as IMAGE or as --image FILE.")
    opt.check_output_option(
        "-o/--output", args.output, inputs=(source,), extensions=tuple(EXPORT_FORMATS)
    )
    fast = not args.quality
    steps = args.steps if args.steps is not None else (8 if fast else 30)
    guidance = args.guidance if args.guidance is not None else (1.0 if fast else 7.0)
    image = load_image(source)
    req = ExpandRequest(
        image=image,
        left=args.left,
        top=args.top,
        right=args.right,
        bottom=args.bottom,
        aspect=args.aspect,
        prompt=args.prompt,
        negative_prompt=args.negative,
        steps=steps,
        fast=fast,
        strength=args.strength,
        guidance=guidance,
        seed=args.seed,
        seam_px=args.seam,
        work_side=args.work_side,
        **({"model": args.model} if args.model else {}),
    )
    padding(req, image.width, image.height)  # a bad value is refused before models load
    ctx = ctx_factory(args, quiet=args.quiet)
    result = job_runner(args, "canvas.expand", expand)(req, ctx)
    settings = {"workspace": "canvas", "kind": "canvas.expand", **result.settings}
    export_image(result.image, args.output, settings)
