"""``studio headshots --selfie a.jpg [--selfie b.jpg] --style NAME -n 40 -o DIR``.

Runs the same ``headshots.pack`` pipeline as the wizard. The pack itself (drafts, latents,
scores, refined images) is kept in ``DIR/pack`` -- running the command again with the same
``-o`` resumes an interrupted pack -- and the refined images plus every unflagged draft are
exported to ``DIR`` as JPEG (or WebP) with embedded metadata and JSON sidecars.

``--pose three-quarter-left`` (a preset, see ``--list-poses`` or ``--pose list``) or
``--pose photo.jpg`` (the pose of the face in a photo) adds the OpenPose ControlNet;
``--aspect 4:5`` / ``2:3`` makes portrait formats.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio import cli_options as opt
from studio.core.errors import BadInput, StudioError
from studio.pipelines.headshots.frames import ASPECTS
from studio.remote.cli_support import add_server_arguments, cli_context, job_runner

MAX_COUNT = 1000
MAX_TOP_K = 100
MAX_BATCH = 16


def register(subparsers: Any) -> None:
    """Add the ``headshots`` subcommand."""
    p = subparsers.add_parser("headshots", help="generate a headshot pack from 1-3 selfies")
    p.add_argument(
        "--selfie",
        action="append",
        default=[],
        type=opt.input_file,
        help="selfie photo (1-3 times)",
    )
    p.add_argument("--style", default="corporate", help="style id or name, or 'custom'")
    p.add_argument("--prompt", default="", help="extra prompt text (the whole prompt for custom)")
    p.add_argument(
        "-n",
        "--count",
        type=opt.bounded_int(1, MAX_COUNT),
        default=40,
        help="images to draft (default 40)",
    )
    p.add_argument("-o", "--output", help="output folder")
    p.add_argument(
        "--size",
        type=opt.bounded_int(64, 2048, multiple_of=64),
        default=1024,
        help="image side in pixels, a multiple of 64 (default 1024)",
    )
    p.add_argument(
        "--top-k",
        type=opt.bounded_int(0, MAX_TOP_K),
        default=10,
        help="images to refine (default 10)",
    )
    p.add_argument("--no-upscale", action="store_true", help="skip the x4 upscale")
    p.add_argument(
        "--face-detail",
        type=opt.bounded_float(0, 1),
        default=0.0,
        metavar="STRENGTH",
        help="restore the refined faces (0 off, the default; 0.5 suits most packs)",
    )
    p.add_argument(
        "--face-fix",
        choices=("inpaint",),
        default="",
        help="repaint the refined faces with a few LCM inpainting steps before face detail "
        "(needs sdxl-inpaint and lcm-lora-sdxl)",
    )
    p.add_argument(
        "--aspect",
        choices=ASPECTS,
        default="1:1",
        help="image format: square or portrait (default 1:1)",
    )
    p.add_argument(
        "--pose",
        default="",
        metavar="PRESET|PHOTO",
        help="pose the portraits: a preset (--pose list shows them) or a photo whose head "
        "pose to copy; needs the OpenPose ControlNet model (default: no pose)",
    )
    p.add_argument(
        "--pose-strength",
        type=opt.bounded_float(0, 2),
        default=None,
        metavar="SCALE",
        help="how strongly the pose is followed (default 0.6)",
    )
    p.add_argument(
        "--batch",
        type=opt.bounded_int(1, MAX_BATCH),
        default=4,
        help="drafts per batch (default 4)",
    )
    p.add_argument("--seed", type=opt.seed, default=0)
    p.add_argument("--format", choices=("jpeg", "webp"), default="jpeg")
    p.add_argument("--list-styles", action="store_true", help="print the style packs and exit")
    p.add_argument("--list-poses", action="store_true", help="print the pose presets and exit")
    p.add_argument("-q", "--quiet", action="store_true")
    add_server_arguments(p)
    p.set_defaults(func=main)


def _list_styles() -> int:
    from studio.pipelines.headshots.styles import list_styles

    try:
        found = list_styles()
    except StudioError as exc:  # a style file of yours that is not valid: named
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    for style in found:
        lora = f"  (LoRA {style.lora} at {style.lora_weight:g})" if style.lora else ""
        print(f"{style.id:<18} {style.name}{lora}")
    return 0


def _list_poses() -> int:
    from studio.pipelines.headshots.pose import POSE_PRESETS

    for key, label in POSE_PRESETS.items():
        print(f"{key:<22} {label}")
    print(f"{'PHOTO':<22} the head pose in a photo (a path)")
    return 0


def pose_option(text: str) -> str | Path:
    """``--pose``: "" (none), a preset key, or an existing photo (a Path: only a path given
    as a path is ever read as a photo)."""
    from studio.pipelines.headshots.pose import POSE_PRESETS

    if not text or text in POSE_PRESETS:
        return text
    path = Path(text)
    if not path.is_file():
        known = ", ".join(POSE_PRESETS)
        raise BadInput(f"--pose: '{text}' is neither a pose preset ({known}) nor a photo.")
    return path


def _check_selfie_files(selfies: list[Path]) -> None:
    """Each selfie must be a readable image of a sane size: checked before the 11 GB of
    models are required (the faces in them are checked by the pipeline)."""
    from studio.core.imageio import load_image

    for path in selfies:
        try:
            load_image(path)
        except BadInput as exc:
            raise BadInput(f"--selfie: {exc.user_message}", exc.detail) from None


def _check_selfie_faces(selfies: list[Path], ctx: Any) -> None:
    """The wizard's selfie check (dlib, shipped with the package, not from the model store):
    a photo without a usable face is named before the pack's models are required."""
    from studio.pipelines.headshots.selfies import SelfieRequest
    from studio.pipelines.headshots.selfies import run as check_selfies

    for report in check_selfies(SelfieRequest(list(selfies)), ctx).reports:
        if not report.ok:
            raise BadInput(f"--selfie: {report.message}")


def main(args: argparse.Namespace) -> int:
    if args.list_styles:
        return _list_styles()
    if args.list_poses or args.pose == "list":
        return _list_poses()
    if not args.selfie or not args.output:
        print("error: --selfie and -o/--output are required", file=sys.stderr)
        return 2
    try:
        from studio.pipelines.headshots.pack import PackRequest, check_request, resolve_style, run
        from studio.pipelines.headshots.packs import export_images

        if len(args.selfie) > 3:
            raise BadInput(f"--selfie: use 1 to 3 selfies (got {len(args.selfie)}).")
        pose = pose_option(args.pose)
        overrides = {} if args.pose_strength is None else {"pose_strength": args.pose_strength}
        out = opt.check_output_option(
            "-o/--output", args.output, inputs=tuple(args.selfie), folder=True
        )
        request = PackRequest(
            selfies=[Path(s) for s in args.selfie],
            style=args.style,
            custom_prompt=args.prompt,
            count=args.count,
            size=args.size,
            refine_top_k=args.top_k,
            upscale=not args.no_upscale,
            face_detail=args.face_detail,
            face_fix=args.face_fix,
            aspect=args.aspect,
            pose=pose,
            overrides=overrides,
            batch_size=args.batch,
            seed=args.seed,
            folder=out / "pack",
        )
        check_request(request)
        resolve_style(request)  # an unknown style is named before anything loads
        _check_selfie_files(request.selfies)
        ctx = cli_context(args, quiet=args.quiet)
        _check_selfie_faces(request.selfies, ctx)
        result = job_runner(args, "headshots.pack", run)(request, ctx)
        chosen = [im.index for im in result.pack.ranked() if im.final or not im.flags]
        written = export_images(result.pack, chosen, out, args.format)
    except StudioError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    for model_id in result.pack.models.values():
        if model_id in ctx.store.catalogue and not ctx.store.catalogue.get(model_id).commercial_use:
            entry = ctx.store.catalogue.get(model_id)
            print(f"note: {entry.name} is licensed '{entry.licence}'.", file=sys.stderr)
    hidden = sum(bool(im.flags) for im in result.pack.images)
    print(
        f"{len(written)} images written to {out} ({hidden} flagged drafts kept in {result.folder})"
    )
    for im in result.pack.ranked()[:5]:
        print(
            f"  #{im.index + 1:03d} seed {im.seed} identity {im.id_score:.2f} "
            f"sharpness {im.sharpness:.0f} {' '.join(im.flags)}"
        )
    return 0
