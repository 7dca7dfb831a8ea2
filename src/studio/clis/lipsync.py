"""``studio lipsync --avatar face.jpg --audio speech.wav -o out.mp4``: the panel's render.

Runs headless with the same pipeline, store and device rules as the GUI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.core.errors import StudioError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("lipsync", help="animate an avatar photo to speak an audio file")
    p.add_argument("--avatar", required=True, type=Path, help="photo with one face")
    p.add_argument("--audio", required=True, type=Path, help="speech: WAV, MP3, M4A or OGG")
    p.add_argument("-o", "--output", required=True, type=Path, help="MP4 to write")
    p.add_argument("--mouth-scale", type=float, default=1.0, help="mouth openness (1 = model)")
    p.add_argument("--bbox-shift", type=int, default=0, help="move the face crop (pixels)")
    p.add_argument("--smoothing", type=float, default=0.2, help="0..0.9 across frames")
    p.add_argument("--no-idle-motion", action="store_true", help="no head sway")
    p.add_argument("--batch-size", type=int, default=25)
    p.add_argument("--max-seconds", type=float, default=300.0, help="longest audio accepted")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from studio.pipelines.lipsync.render import RenderRequest, render
    from studio.services.headless import headless_context

    try:
        ctx = headless_context(quiet=args.quiet)
        result = render(
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
