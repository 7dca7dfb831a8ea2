"""``studio canvas segment|remove|fill|cutout|upscale|expand|face-detail``, headless.

``expand``: ``studio canvas expand photo.png --right 256 -o out.png`` or ``--aspect 16:9``
(the result carries its settings like the app's export); ``face-detail`` fixes faces.

Regions come from ``--mask FILE``, from words (``--text "the red car"``: CLIPSeg, refined by
SAM) or from clicks (``--point x,y`` to include, ``--exclude x,y`` to exclude,
``--box x0,y0,x1,y1``), which run SAM first; clicks also adjust a ``--text`` selection.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio import cli_options as opt
from studio.cli_face_detail import add_face_detail, run_face_detail
from studio.core.errors import BadInput, StudioError
from studio.remote.cli_support import add_server_arguments, cli_context, job_runner

OPS = {  # each operation and its --help line
    "segment": "select an object from clicks, a box or words (a mask PNG)",
    "remove": "erase the masked object (LaMa)",
    "fill": "paint the masked area from a prompt (SDXL inpainting)",
    "cutout": "remove the background (transparent or a colour)",
    "upscale": "enlarge x4 (Real-ESRGAN)",
}
TASKS = {op: op for op in OPS}  # the catalogue task of each operation's --model
MAX_FEATHER = 256
MAX_GROW = 1024

_pair = opt.finite_floats(2, "x,y")
_box = opt.finite_floats(4, "x0,y0,x1,y1")


def _tile(text: str) -> int:
    value = opt.bounded_int(0, 4096)(text)
    if 0 < value < 64:
        raise argparse.ArgumentTypeError(f"must be 0 (whole image) or 64 to 4096, got {text}")
    return value


def _colour(text: str) -> tuple[int, int, int]:
    value = text.lstrip("#")
    if len(value) != 6:
        raise argparse.ArgumentTypeError(f"expected a colour like #ffffff, got '{text}'")
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a colour like #ffffff, got '{text}'") from None


def _lora(text: str) -> tuple[str, float]:
    """``ID[:WEIGHT]`` (weight 1 by default); the pipeline checks the id and the range."""
    model_id, sep, weight = text.rpartition(":")
    try:
        return (model_id, float(weight)) if sep else (text, 1.0)
    except ValueError:
        message = f"expected ID or ID:WEIGHT (a number as the weight), got '{text}'"
        raise argparse.ArgumentTypeError(message) from None


def _add_own_models(p: argparse.ArgumentParser) -> None:
    """``--model`` (checked by the pipeline, which knows your imports), ``--lora ID[:WEIGHT]``."""
    p.add_argument("--model", help="sdxl-inpaint (default) or an SDXL checkpoint you imported")
    p.add_argument("--lora", type=_lora, metavar="ID[:WEIGHT]", help="your SDXL LoRA, -4..4")


def _own_models(args: argparse.Namespace) -> dict[str, Any]:
    lora = {"lora": args.lora[0], "lora_weight": args.lora[1]} if args.lora else {}
    return {**({"model": args.model} if args.model else {}), **lora}


def register(subparsers: Any) -> None:
    """Add the ``canvas`` subcommand with one sub-subcommand per operation."""
    parser = subparsers.add_parser(
        "canvas", help="segment, remove, fill, cut out, upscale, expand or face detail"
    )
    ops = parser.add_subparsers(dest="canvas_op", required=True)
    for op in OPS:
        p = ops.add_parser(op, help=OPS[op])
        p.add_argument(
            "--image", required=True, type=opt.input_file, help="input (PNG, JPEG, WebP, TIFF)"
        )
        p.add_argument("-o", "--output", required=True, help="output file (.png, .jpg, .webp)")
        if op == "fill":
            _add_own_models(p)
        else:
            p.add_argument(
                "--model", type=opt.model_id(TASKS[op]), default=None, help="model id (catalogue)"
            )
        p.add_argument("-q", "--quiet", action="store_true")
        add_server_arguments(p)
        if op in ("segment", "remove", "fill"):
            p.add_argument("--mask", type=opt.input_file, help="mask image (white = selected)")
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
            p.add_argument("--sam-model", type=opt.model_id("segment"), default="sam-vit-b")
            p.add_argument("--text", default=None, help='select by words: "the red car"')
            p.add_argument(
                "--text-threshold",
                type=opt.bounded_float(0, 1, lo_open=True),
                default=0.4,
                help="how sure the words must be (0-1)",
            )
        if op in ("remove", "fill"):
            p.add_argument(
                "--feather",
                type=opt.bounded_int(0, MAX_FEATHER),
                default=8,
                help=f"blend width in pixels (0-{MAX_FEATHER})",
            )
        if op == "fill":
            p.add_argument("--prompt", default="")
            p.add_argument("--negative", default="")
            p.add_argument("--steps", type=opt.bounded_int(1, 150), default=None, help="1-150")
            p.add_argument("--strength", type=opt.bounded_float(0, 1, lo_open=True), default=0.99)
            p.add_argument("--guidance", type=opt.bounded_float(0, 30), default=None)
            p.add_argument("--seed", type=opt.seed, default=None)
            p.add_argument("--variations", type=opt.bounded_int(1, 8), default=1)
            p.add_argument("--fast", action="store_true", help="LCM-LoRA, few steps")
            p.add_argument(
                "--work-side",
                type=opt.bounded_int(64, 2048),
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
            p.add_argument(
                "--tile", type=_tile, default=512, help="tile side in pixels (0: whole image)"
            )
        if op == "segment":
            p.add_argument(
                "--grow",
                type=opt.bounded_int(0, MAX_GROW),
                default=0,
                help="grow the mask by N pixels",
            )
    _add_expand(ops)
    add_face_detail(ops)
    parser.set_defaults(func=main)


def _region(args: argparse.Namespace, image: Any, ctx: Any) -> Any:
    from studio.core.imageio import load_mask

    if args.mask:
        return load_mask(args.mask, image.size)
    if args.text is not None:
        return _text_region(args, image, ctx)
    if not (args.point or args.exclude or args.box):
        raise BadInput(
            "Give --mask FILE, --text WORDS, or --point x,y (and/or --box) to select the object."
        )
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
    return job_runner(args, "canvas.segment", segment)(req, ctx).mask


def _text_region(args: argparse.Namespace, image: Any, ctx: Any) -> Any:
    """CLIPSeg's region for ``--text``, refined by SAM; clicks join the words."""
    from studio.pipelines.canvas.text_select import TextSelectRequest
    from studio.pipelines.canvas.text_select import run as text_select

    if args.box:
        raise BadInput("--box does not combine with --text; use --point/--exclude to adjust.")
    req = TextSelectRequest(
        image=image,
        prompt=args.text,
        threshold=args.text_threshold,
        points=list(args.point) + list(args.exclude),
        labels=[1] * len(args.point) + [0] * len(args.exclude),
        sam_model=args.sam_model,
    )
    return job_runner(args, "canvas.text_select", text_select)(req, ctx).mask


def _run(args: argparse.Namespace) -> None:
    from studio.core.imageio import load_image, save_image

    op = args.canvas_op
    if op == "expand":
        _expand(args)
        return
    if op == "face-detail":
        run_face_detail(args)
        return
    _check_outputs(args)  # before the image is decoded or any model loads
    if op == "fill" and args.fast and args.steps is not None and not 2 <= args.steps <= 12:
        raise BadInput("--steps: fast mode uses 2 to 12 steps (4 to 8 work best).")
    ctx = cli_context(args, quiet=args.quiet)
    image = load_image(args.image)
    model = {"model": args.model} if args.model else {}
    if op == "segment":
        from studio.pipelines.canvas.masks import grow

        mask = _region(args, image, ctx)
        save_image(grow(mask, args.grow) if args.grow else mask, args.output)
    elif op == "remove":
        from studio.pipelines.canvas.remove import RemoveRequest
        from studio.pipelines.canvas.remove import run as remove

        mask = _region(args, image, ctx)
        req = RemoveRequest(image=image, mask=mask, feather_px=args.feather, **model)
        res = job_runner(args, "canvas.remove", remove)(req, ctx)
        save_image(res.image, args.output, {"studio": "canvas.remove"})
    elif op == "fill":
        from studio.pipelines.canvas.fill import FillRequest
        from studio.pipelines.canvas.fill import run as fill

        mask = _region(args, image, ctx)
        steps = args.steps if args.steps is not None else (6 if args.fast else 30)
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
            **_own_models(args),
        )
        filled = job_runner(args, "canvas.fill", fill)(req, ctx)
        meta = {k: str(v) for k, v in filled.settings.items()}
        for i, img in enumerate(filled.images):
            out = args.output if i == 0 else _numbered(args.output, i)
            save_image(img, out, {**meta, "seed": str(filled.seeds[i])})
    elif op == "cutout":
        from studio.pipelines.canvas.cutout import CutoutRequest
        from studio.pipelines.canvas.cutout import run as cutout

        cut_req = CutoutRequest(image=image, background=args.background, **model)
        cut = job_runner(args, "canvas.cutout", cutout)(cut_req, ctx)
        save_image(cut.image, args.output)
    elif op == "upscale":
        from studio.pipelines.canvas.upscale import UpscaleRequest
        from studio.pipelines.canvas.upscale import run as upscale

        up_req = UpscaleRequest(image=image, tile=args.tile, **model)
        big = job_runner(args, "canvas.upscale", upscale)(up_req, ctx)
        save_image(big.image, args.output)


def _check_outputs(args: argparse.Namespace) -> None:
    from studio.core.outputs import IMAGE_EXTENSIONS

    inputs = (args.image, getattr(args, "mask", None))
    count = args.variations if args.canvas_op == "fill" else 1
    for i in range(count):
        out = args.output if i == 0 else _numbered(args.output, i)
        opt.check_output_option("-o/--output", out, inputs=inputs, extensions=IMAGE_EXTENSIONS)
    if args.canvas_op == "cutout" and Path(args.output).suffix.lower() in (".jpg", ".jpeg"):
        if args.background is None and not args.quiet:
            print(
                "note: JPEG has no transparency; the cut-out is put on white "
                "(use .png or .webp to keep it transparent, or --background).",
                file=sys.stderr,
            )


def _numbered(path: str, i: int) -> str:
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


def _pixels(text: str) -> int:
    """A whole number; the range is the pipeline's to check (one message for CLI and app)."""
    try:
        return int(text)
    except ValueError:
        message = f"expected a whole number of pixels, got '{text}'"
        raise argparse.ArgumentTypeError(message) from None


def _add_expand(ops: Any) -> None:
    """``expand``: no --mask/--point (the new area is the region), the image may be positional."""
    from studio.pipelines.canvas.expand import ANCHORS, ASPECTS, MAX_SEAM

    p = ops.add_parser("expand", help="extend the canvas and fill the new area (outpainting)")
    p.add_argument("image_pos", nargs="?", type=opt.input_file, metavar="IMAGE", help="input")
    p.add_argument("--image", type=opt.input_file, help="input (instead of the positional)")
    p.add_argument("-o", "--output", required=True, help="output file (.png, .jpg, .webp)")
    for side in ("left", "top", "right", "bottom"):
        p.add_argument(f"--{side}", type=_pixels, default=0, help=f"pixels to add on the {side}")
    p.add_argument(
        "--aspect", default=None, help=f"grow to an aspect ratio, e.g. {', '.join(ASPECTS)}"
    )
    p.add_argument(
        "--anchor",
        choices=ANCHORS,
        default="center",
        help="with --aspect: where the photo stays (default: centred)",
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
    _add_own_models(p)
    p.add_argument("-q", "--quiet", action="store_true")
    add_server_arguments(p)


def _expand(args: argparse.Namespace) -> None:
    """Expand the image and write ``args.output`` with its settings (as the app's export
    does); :class:`BadInput` for bad values, raised before any model loads."""
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
        anchor=args.anchor,
        prompt=args.prompt,
        negative_prompt=args.negative,
        steps=steps,
        fast=fast,
        strength=args.strength,
        guidance=guidance,
        seed=args.seed,
        seam_px=args.seam,
        work_side=args.work_side,
        **_own_models(args),
    )
    padding(req, image.width, image.height)  # a bad value is refused before models load
    ctx = cli_context(args, quiet=args.quiet)
    result = job_runner(args, "canvas.expand", expand)(req, ctx)
    settings = {"workspace": "canvas", "kind": "canvas.expand", **result.settings}
    export_image(result.image, args.output, settings)
