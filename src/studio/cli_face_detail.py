"""``studio canvas face-detail PHOTO -o OUT``: restore the faces of a photo headless.

Faces are found and restored as the Canvas tool does (:mod:`studio.pipelines.canvas.
face_detail`); a photo without a face is written unchanged, with a note on stderr.
``--method inpaint --prompt TEXT`` repaints them with a few LCM inpainting steps instead.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio import cli_options as opt
from studio.core.errors import BadInput
from studio.remote.cli_support import add_server_arguments, cli_context, job_runner


def add_face_detail(ops: Any) -> None:
    """The ``face-detail`` sub-subcommand (the image may be positional or ``--image``)."""
    p = ops.add_parser(
        "face-detail", help="restore faces (a restoration model) or repaint them (inpainting)"
    )
    p.add_argument("image_pos", nargs="?", type=opt.input_file, metavar="IMAGE", help="input")
    p.add_argument("--image", type=opt.input_file, help="input (instead of the positional)")
    p.add_argument("-o", "--output", required=True, help="output file (.png, .jpg, .webp)")
    p.add_argument(
        "--method",
        choices=("restore", "inpaint"),  # face_detail.METHODS (not imported: a light CLI)
        default="restore",
        help="restore: a face restoration model (default); inpaint: a few LCM inpainting "
        "steps per face (needs the SDXL inpainting model and LCM-LoRA)",
    )
    p.add_argument(
        "--strength",
        type=opt.bounded_float(0, 1),
        default=None,
        help="restore: 0 unchanged, 1 the restored face only (default 0.7); "
        "inpaint: the denoising strength (default 0.4)",
    )
    p.add_argument("--prompt", default="", help="inpaint: what the faces should look like")
    p.add_argument("--seed", type=opt.seed, default=None, help="inpaint: the seed")
    p.add_argument(
        "--work-side",
        type=opt.bounded_int(64, 2048),
        default=1024,
        help="inpaint: smaller face crops are upscaled to this (default 1024)",
    )
    p.add_argument("--max-faces", type=opt.bounded_int(1, 64), default=8)
    p.add_argument(
        "--model", type=opt.model_id("face-restore"), default=None, help="restoration model"
    )
    p.add_argument("-q", "--quiet", action="store_true")
    add_server_arguments(p)


def run_face_detail(args: argparse.Namespace) -> None:
    """Restore the faces and write ``args.output`` with the settings (as the app exports)."""
    from studio.core.export import EXPORT_FORMATS, export_image
    from studio.core.imageio import load_image
    from studio.pipelines.canvas.face_detail import FaceDetailRequest
    from studio.pipelines.canvas.face_detail import run as face_detail

    source = args.image or args.image_pos
    if source is None or (args.image and args.image_pos):
        raise BadInput("Give the photo once: as IMAGE or as --image FILE.")
    opt.check_output_option(
        "-o/--output", args.output, inputs=(source,), extensions=tuple(EXPORT_FORMATS)
    )
    if args.method != "inpaint" and (args.prompt or args.seed is not None):
        raise BadInput("--prompt and --seed go with --method inpaint.")
    if args.method == "inpaint" and args.model:
        raise BadInput("--model names a restoration model; it goes with --method restore.")
    req = FaceDetailRequest(
        image=load_image(source),
        strength=args.strength,
        max_faces=args.max_faces,
        method=args.method,
        prompt=args.prompt,
        seed=args.seed,
        work_side=args.work_side,
        **({"model": args.model} if args.model else {}),
    )
    ctx = cli_context(args, quiet=args.quiet)
    result = job_runner(args, "canvas.face_detail", face_detail)(req, ctx)
    if result.message and not args.quiet:
        print(f"note: {result.message}", file=sys.stderr)
    settings = {"workspace": "canvas", "kind": "canvas.face_detail", **result.settings}
    export_image(result.image, args.output, settings)
