"""``studio lipsync --avatar face.jpg --audio speech.wav -o out.mp4``: the panel's render.

``--avatar`` may also be a short clip (MP4/MOV/WebM, up to 60 s): a video avatar, looped
forward and backward for the length of the speech.

Runs headless with the same pipeline, store and device rules as the GUI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio import cli_options as opt
from studio.core.errors import StudioError
from studio.remote.cli_support import add_server_arguments, cli_context, job_runner


def register(subparsers: argparse._SubParsersAction) -> None:
    from studio.pipelines.lipsync.audio import MIN_SECONDS
    from studio.pipelines.lipsync.render import (
        MAX_BATCH,
        MAX_BBOX_SHIFT,
        MAX_MOUTH_SCALE,
        MAX_SECONDS_LIMIT,
        MAX_SMOOTHING,
    )

    p = subparsers.add_parser(
        "lipsync", help="animate an avatar photo (or clip) to speak an audio file"
    )
    p.add_argument(
        "--avatar",
        required=True,
        type=opt.input_file,
        help="photo with one face, or a clip of one person (MP4/MOV/WebM, up to 60 s)",
    )
    p.add_argument(
        "--audio", required=True, type=opt.input_file, help="speech: WAV, MP3, M4A or OGG"
    )
    p.add_argument("-o", "--output", required=True, type=Path, help="MP4 to write")
    p.add_argument(
        "--mouth-scale",
        type=opt.bounded_float(0.0, MAX_MOUTH_SCALE),
        default=1.0,
        help=f"mouth openness 0-{MAX_MOUTH_SCALE:g} (1 = model)",
    )
    p.add_argument(
        "--bbox-shift",
        type=opt.bounded_int(-MAX_BBOX_SHIFT, MAX_BBOX_SHIFT),
        default=0,
        help=f"move the face crop (pixels, -{MAX_BBOX_SHIFT} to {MAX_BBOX_SHIFT})",
    )
    p.add_argument(
        "--smoothing",
        type=opt.bounded_float(0.0, MAX_SMOOTHING),
        default=0.2,
        help=f"0..{MAX_SMOOTHING:g} across frames",
    )
    p.add_argument("--no-idle-motion", action="store_true", help="no head sway")
    p.add_argument(
        "--batch-size", type=opt.bounded_int(1, MAX_BATCH), default=25, help=f"1-{MAX_BATCH}"
    )
    p.add_argument(
        "--max-seconds",
        type=opt.bounded_float(MIN_SECONDS, MAX_SECONDS_LIMIT),
        default=300.0,
        help="longest audio accepted",
    )
    p.add_argument("-q", "--quiet", action="store_true")
    add_server_arguments(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from studio.core.outputs import VIDEO_EXTENSIONS
    from studio.pipelines.lipsync.render import RenderRequest, render

    try:
        opt.check_output_option(
            "-o/--output",
            args.output,
            inputs=(args.avatar, args.audio),
            extensions=VIDEO_EXTENSIONS,
        )
        ctx = cli_context(args, quiet=args.quiet)
        result = job_runner(args, "lipsync.render", render)(
            RenderRequest(
                avatar=args.avatar,
                audio=args.audio,
                output=args.output,
                mouth_scale=args.mouth_scale,
                bbox_shift=args.bbox_shift,
                smoothing=args.smoothing,
                idle_motion=not args.no_idle_motion,
                batch_size=args.batch_size,
                max_seconds=args.max_seconds,
            ),
            ctx,
        )
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(
            f"{result.output} ({result.frames} frames, {result.duration_s:.2f} s, "
            f"rendered in {result.seconds:.1f} s)"
        )
    return 0
