"""``studio live``: render one live frame (sd-turbo, one step) headless.

``studio live --prompt "a watercolour cat" [--image in.png --strength 0.5] -o out.png``
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio import cli_options as opt
from studio.core.errors import StudioError
from studio.remote.cli_support import add_server_arguments, cli_context, job_runner

MAX_SIDE = 2048  # as the live session allows


def register(subparsers: Any) -> None:
    """Add the ``live`` subcommand."""
    p = subparsers.add_parser("live", help="one real-time frame: img2img or txt2img (sd-turbo)")
    p.add_argument("--prompt", required=True)
    p.add_argument(
        "--image", type=opt.input_file, help="input image for img2img (without it: txt2img)"
    )
    p.add_argument("-o", "--output", required=True, help="output image (.png, .jpg, .webp)")
    p.add_argument(
        "--strength",
        type=opt.bounded_float(0, 1, lo_open=True),
        default=0.5,
        help="img2img strength (0-1]",
    )
    p.add_argument("--seed", type=opt.seed, default=0)
    side = opt.bounded_int(64, MAX_SIDE, multiple_of=8)
    p.add_argument("--width", type=side, default=512, help=f"multiple of 8, 64-{MAX_SIDE}")
    p.add_argument("--height", type=side, default=512, help=f"multiple of 8, 64-{MAX_SIDE}")
    p.add_argument("--model", type=opt.model_id("live"), default="sd-turbo", help="live model id")
    p.add_argument(
        "--vae",
        type=opt.model_id("vae", prefix="taesd", extra=("full",)),
        default="taesd",
        help="tiny VAE id, or 'full' for the model's own",
    )
    p.add_argument(
        "--optimise",
        default="eager",
        choices=("auto", "eager", "cuda_graph", "compile"),
        help="eager suits one frame; graphs pay off in the stream",
    )
    p.add_argument("-q", "--quiet", action="store_true")
    add_server_arguments(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from studio.core.imageio import save_image
    from studio.core.outputs import IMAGE_EXTENSIONS
    from studio.pipelines.live.jobs import LiveFrameRequest, run_frame
    from studio.pipelines.live.session import LiveSettings

    try:
        opt.check_output_option(
            "-o/--output", args.output, inputs=(args.image,), extensions=IMAGE_EXTENSIONS
        )
        settings = LiveSettings(
            prompt=args.prompt,
            strength=args.strength,
            seed=args.seed,
            width=args.width,
            height=args.height,
            model_id=args.model,
            vae_id=None if args.vae == "full" else args.vae,
            optimise=args.optimise,
        )
        ctx = cli_context(args, quiet=args.quiet)
        frame = job_runner(args, "live.frame", run_frame)(
            LiveFrameRequest(settings, args.image), ctx
        )
        # through a temporary file: a failed write never truncates an existing image
        save_image(frame.image, args.output, {"studio": "live", "seed": str(args.seed)})
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(
            f"{args.output}: {frame.mode} {frame.image.shape[1]}x{frame.image.shape[0]} "
            f"in {frame.latency_ms:.0f} ms"
        )
    return 0
