"""``studio live``: render one live frame (sd-turbo, one step) headless.

``studio live --prompt "a watercolour cat" [--image in.png --strength 0.5] -o out.png``
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.core.errors import StudioError


def register(subparsers: Any) -> None:
    """Add the ``live`` subcommand."""
    p = subparsers.add_parser("live", help="one real-time frame: img2img or txt2img (sd-turbo)")
    p.add_argument("--prompt", required=True)
    p.add_argument("--image", help="input image for img2img (without it: txt2img)")
    p.add_argument("-o", "--output", required=True, help="output image (.png, .jpg, .webp)")
    p.add_argument("--strength", type=float, default=0.5, help="img2img strength (0-1]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=512, help="multiple of 8")
    p.add_argument("--height", type=int, default=512, help="multiple of 8")
    p.add_argument("--model", default="sd-turbo", help="live model id")
    p.add_argument("--vae", default="taesd", help="tiny VAE id, or 'full' for the model's own")
    p.add_argument(
        "--optimise",
        default="eager",
        choices=("auto", "eager", "cuda_graph", "compile"),
        help="eager suits one frame; graphs pay off in the stream",
    )
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from PIL import Image

    from studio.pipelines.live.jobs import LiveFrameRequest, run_frame
    from studio.pipelines.live.session import LiveSettings
    from studio.services.headless import headless_context

    try:
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
        ctx = headless_context(quiet=args.quiet)
        frame = run_frame(LiveFrameRequest(settings, args.image), ctx)
        try:
            Image.fromarray(frame.image).save(args.output)
        except (OSError, ValueError) as exc:
            print(f"error: could not write {args.output}: {exc}", file=sys.stderr)
            return 2
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(
            f"{args.output}: {frame.mode} {frame.image.shape[1]}x{frame.image.shape[0]} "
            f"in {frame.latency_ms:.0f} ms"
        )
    return 0
