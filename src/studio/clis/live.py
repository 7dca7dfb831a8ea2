"""``studio live``: render one live frame, or a whole video clip, headless.

``studio live --prompt "a watercolour cat" [--image in.png --strength 0.5] -o out.png``
``studio live --prompt "a watercolour cat" --video in.mp4 --record out.mp4`` plays the clip
through the img2img loop (every frame, the clip's sound kept) into an MP4.
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
    p = subparsers.add_parser(
        "live", help="one real-time frame (img2img or txt2img), or a video clip through the loop"
    )
    p.add_argument("--prompt", required=True)
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--image", type=opt.input_file, help="input image for img2img (without it: txt2img)"
    )
    source.add_argument(
        "--video", type=opt.input_file, help="a clip to play through the loop (needs --record)"
    )
    p.add_argument("-o", "--output", help="output image (.png, .jpg, .webp)")
    p.add_argument("--record", help="the MP4 the processed --video is written to")
    p.add_argument(
        "--max-frames", type=opt.bounded_int(1, 1_000_000), default=0, help="--video: stop early"
    )
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
    p.add_argument("--prompt-b", default="", help="prompt travel: the second prompt")
    p.add_argument(
        "--travel", type=opt.bounded_float(0, 1), default=0.0, help="0: --prompt, 1: --prompt-b"
    )
    p.add_argument("--negative", default="", help="negative prompt (models with guidance)")
    p.add_argument(
        "--guidance",
        type=opt.bounded_float(0, 10),
        default=1.0,
        help="LCM models; above 1 the negative prompt counts",
    )
    p.add_argument("--steps", type=opt.bounded_int(1, 8), default=4, help="LCM models: 2-4")
    p.add_argument("--no-seed-lock", action="store_true", help="fresh noise every frame (--video)")
    p.add_argument(
        "--no-filter", action="store_true", help="render every frame, however similar (--video)"
    )
    p.add_argument(
        "--similarity",
        type=opt.bounded_float(0, 1),
        default=0.98,
        help="frames at least this similar to the last rendered one are skipped (--video)",
    )
    p.add_argument("--max-skip", type=opt.bounded_int(0, 1000), default=10)
    p.add_argument("-q", "--quiet", action="store_true")
    add_server_arguments(p)
    p.set_defaults(func=main)


def _settings(args: argparse.Namespace) -> Any:
    from studio.pipelines.live.session import LiveSettings

    return LiveSettings(
        prompt=args.prompt,
        strength=args.strength,
        seed=args.seed,
        width=args.width,
        height=args.height,
        model_id=args.model,
        vae_id=None if args.vae == "full" else args.vae,
        optimise=args.optimise,
        prompt_b=args.prompt_b,
        travel=args.travel,
        negative_prompt=args.negative,
        guidance=args.guidance,
        lcm_steps=args.steps,
        seed_lock=not args.no_seed_lock,
        filter_enabled=not args.no_filter,
        similarity_threshold=args.similarity,
        max_skip=args.max_skip,
    )


def main(args: argparse.Namespace) -> int:
    if args.video is not None or args.record is not None:
        return _main_video(args)
    from studio.core.imageio import save_image
    from studio.core.outputs import IMAGE_EXTENSIONS
    from studio.pipelines.live.jobs import LiveFrameRequest, run_frame

    if not args.output:
        print("error: give -o/--output for a frame, or --video with --record", file=sys.stderr)
        return 2
    try:
        opt.check_output_option(
            "-o/--output", args.output, inputs=(args.image,), extensions=IMAGE_EXTENSIONS
        )
        settings = _settings(args)
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


def _main_video(args: argparse.Namespace) -> int:
    from pathlib import Path

    from studio.pipelines.live.video_job import LiveVideoRequest, run_video

    problem = None
    if args.video is None or args.record is None:
        problem = "--video and --record go together (a clip in, an MP4 out)"
    elif args.output:
        problem = "-o/--output is for a single frame; the clip goes to --record"
    elif getattr(args, "server", None):
        problem = "--video runs on this machine; leave out --server"
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        opt.check_output_option("--record", args.record, inputs=(args.video,), extensions=(".mp4",))
        request = LiveVideoRequest(
            Path(args.video), Path(args.record), _settings(args), max_frames=args.max_frames
        )
        result = run_video(request, cli_context(args, quiet=args.quiet))
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(
            f"{result.output}: {result.frames} frames ({result.rendered} rendered, "
            f"{result.skipped} similar ones reused), {result.duration_s:.1f} s"
            + (", with sound" if result.has_audio else "")
        )
    return 0
