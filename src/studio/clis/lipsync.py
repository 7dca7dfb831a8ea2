"""``studio lipsync --avatar face.jpg --audio speech.wav -o out.mp4``: the panel's render.

``--avatar`` may also be a short clip (MP4/MOV/WebM, up to 60 s): a video avatar, looped
forward and backward for the length of the speech.

``studio lipsync talk --avatar face.jpg --audio speech.wav --chunk-ms 80 --out take.mp4``:
the panel's Live mode: the speech is played in real-time-sized chunks (``--fast``: as fast as
it is read) through the same path as the microphone, the take is kept as an MP4, and the
latency figures are printed (``--json``: as JSON). ``--mic`` listens to the microphone
instead, until Ctrl+C or ``--seconds``.

Runs headless with the same pipeline, store and device rules as the GUI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio import cli_options as opt
from studio.core.errors import BadInput, StudioError
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
        type=opt.input_file,
        help="photo with one face, or a clip of one person (MP4/MOV/WebM, up to 60 s)",
    )
    p.add_argument("--audio", type=opt.input_file, help="speech: WAV, MP3, M4A or OGG")
    p.add_argument("-o", "--output", type=Path, help="MP4 to write")
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
    ops = p.add_subparsers(dest="lipsync_op", metavar="talk")  # none: the render above
    register_talk(ops)


def main(args: argparse.Namespace) -> int:
    from studio.core.outputs import VIDEO_EXTENSIONS
    from studio.pipelines.lipsync.render import RenderRequest, render

    missing = [
        name
        for name, value in (("--avatar", args.avatar), ("--audio", args.audio), ("-o", args.output))
        if value is None
    ]
    if missing:
        print(
            f"error: lipsync needs {', '.join(missing)} (or: studio lipsync talk)", file=sys.stderr
        )
        return 2
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


def register_talk(ops: argparse._SubParsersAction) -> None:
    from studio.pipelines.lipsync.render import MAX_BBOX_SHIFT, MAX_MOUTH_SCALE, MAX_SMOOTHING
    from studio.pipelines.lipsync.talk_live import MAX_TAKE_SECONDS

    t = ops.add_parser(
        "talk", help="talk live: speech in chunks -> the avatar talking, kept as MP4"
    )
    t.add_argument(
        "--avatar", required=True, type=opt.input_file, help="photo with one face, or a clip"
    )
    source = t.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--audio", type=opt.input_file, help="speech file played as the microphone would hear it"
    )
    source.add_argument("--mic", action="store_true", help="listen to the microphone")
    t.add_argument("--out", required=True, type=Path, help="MP4 to keep the take in")
    t.add_argument(
        "--chunk-ms",
        type=opt.bounded_int(10, 1000),
        default=80,
        help="audio chunk length in ms, as a microphone delivers it (10-1000)",
    )
    t.add_argument("--fast", action="store_true", help="feed --audio as fast as it is read")
    t.add_argument(
        "--seconds",
        type=opt.bounded_float(1.0, MAX_TAKE_SECONDS),
        default=600.0,
        help="longest take (the microphone stops there)",
    )
    t.add_argument("--mouth-scale", type=opt.bounded_float(0.0, MAX_MOUTH_SCALE), default=1.0)
    t.add_argument("--bbox-shift", type=opt.bounded_int(-MAX_BBOX_SHIFT, MAX_BBOX_SHIFT), default=0)
    t.add_argument("--smoothing", type=opt.bounded_float(0.0, MAX_SMOOTHING), default=0.2)
    t.add_argument("--no-idle-motion", action="store_true", help="no head sway")
    t.add_argument("--json", action="store_true", help="print the take and latency as JSON")
    t.add_argument("-q", "--quiet", action="store_true")
    t.set_defaults(func=talk_main)


def talk_main(args: argparse.Namespace) -> int:
    """Run a live talk from a file or the microphone; Ctrl+C is Stop (the take is kept)."""
    import json
    import threading

    from studio.pipelines.lipsync.talk_feed import AudioFeed, FileInputBackend, MicrophoneFeed
    from studio.pipelines.lipsync.talk_live import TalkLiveRequest, run_talk_live

    try:
        inputs = (args.avatar,) if args.mic else (args.avatar, args.audio)
        opt.check_output_option("--out", args.out, inputs=inputs, extensions=(".mp4",))
        backend: Any
        if args.mic:
            from studio.pipelines.lipsync.recorder import SoundDeviceBackend

            backend = SoundDeviceBackend()
            if not backend.devices():
                raise BadInput("No microphone was found. Connect one, or pass --audio FILE.")
        else:
            backend = FileInputBackend(args.audio, realtime=not args.fast)
        ctx = cli_context(args, quiet=args.quiet or args.json)
        feed = AudioFeed()
        mic = MicrophoneFeed(feed, backend, chunk_ms=args.chunk_ms, max_seconds=args.seconds)
        request = TalkLiveRequest(
            avatar=args.avatar,
            feed=feed,
            output=args.out,
            mouth_scale=args.mouth_scale,
            bbox_shift=args.bbox_shift,
            smoothing=args.smoothing,
            idle_motion=not args.no_idle_motion,
            max_seconds=args.seconds,
            on_ready=mic.start,
        )
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["result"] = run_talk_live(request, ctx)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                outcome["error"] = exc

        # the take runs on a thread so that Ctrl+C here is Stop, not an abort of the file
        worker = threading.Thread(target=work, name="lipsync-talk")
        worker.start()
        if args.mic and not args.quiet and not args.json:
            print("Listening: speak, then press Ctrl+C to stop.", file=sys.stderr)
        try:
            while worker.is_alive():
                worker.join(0.2)
        except KeyboardInterrupt:
            mic.stop()
            feed.close()
            worker.join()
        mic.join()
        if "error" in outcome:
            raise outcome["error"]
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    result = outcome["result"]
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(talk_summary(result), indent=2))
    elif not args.quiet:
        lag = result.speech_to_mouth_ms
        print(
            f"{result.output} ({result.frames} frames, {result.duration_s:.2f} s); mouth "
            f"{lag['p50']:.0f} ms behind the voice (p95 {lag['p95']:.0f} ms), "
            f"rendering at {result.render_fps:.1f} fps"
        )
    return 0


def talk_summary(result: Any) -> dict[str, Any]:
    """A live take's figures as JSON-ready values."""
    return {
        "output": str(result.output),
        "frames": result.frames,
        "duration_s": round(result.duration_s, 3),
        "audio_s": round(result.audio_s, 3),
        "latency_ms": result.latency_ms,
        "speech_to_mouth_ms": result.speech_to_mouth_ms,
        "render_fps": round(result.render_fps, 2),
        "avatar_from_cache": result.avatar_from_cache,
        "warnings": list(result.warnings),
    }
