"""``studio headshots --selfie a.jpg [--selfie b.jpg] --style NAME -n 40 -o DIR``.

Runs the same ``headshots.pack`` pipeline as the wizard. The pack itself (drafts, latents,
scores, refined images) is kept in ``DIR/pack`` -- running the command again with the same
``-o`` resumes an interrupted pack -- and the refined images plus every unflagged draft are
exported to ``DIR`` as JPEG (or WebP) with embedded metadata and JSON sidecars.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio.core.errors import StudioError


def register(subparsers: Any) -> None:
    """Add the ``headshots`` subcommand."""
    p = subparsers.add_parser("headshots", help="generate a headshot pack from 1-3 selfies")
    p.add_argument("--selfie", action="append", default=[], help="selfie photo (1-3 times)")
    p.add_argument("--style", default="corporate", help="style id or name, or 'custom'")
    p.add_argument("--prompt", default="", help="extra prompt text (the whole prompt for custom)")
    p.add_argument("-n", "--count", type=int, default=40, help="images to draft (default 40)")
    p.add_argument("-o", "--output", help="output folder")
    p.add_argument("--size", type=int, default=1024, help="image side in pixels (default 1024)")
    p.add_argument("--top-k", type=int, default=10, help="images to refine (default 10)")
    p.add_argument("--no-upscale", action="store_true", help="skip the x4 upscale")
    p.add_argument("--batch", type=int, default=4, help="drafts per batch (default 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=("jpeg", "webp"), default="jpeg")
    p.add_argument("--list-styles", action="store_true", help="print the style packs and exit")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=main)


def _list_styles() -> int:
    from studio.pipelines.headshots.styles import list_styles

    for style in list_styles():
        print(f"{style.id:<18} {style.name}")
    return 0


def main(args: argparse.Namespace) -> int:
    if args.list_styles:
        return _list_styles()
    if not args.selfie or not args.output:
        print("error: --selfie and -o/--output are required", file=sys.stderr)
        return 2
    try:
        from studio.pipelines.headshots.pack import PackRequest, run
        from studio.pipelines.headshots.packs import export_images
        from studio.services.headless import headless_context

        out = Path(args.output)
        request = PackRequest(
            selfies=[Path(s) for s in args.selfie],
            style=args.style,
            custom_prompt=args.prompt,
            count=args.count,
            size=args.size,
            refine_top_k=args.top_k,
            upscale=not args.no_upscale,
            batch_size=args.batch,
            seed=args.seed,
            folder=out / "pack",
        )
        ctx = headless_context(quiet=args.quiet)
        result = run(request, ctx)
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
            f"  #{im.index:03d} seed {im.seed} identity {im.id_score:.2f} "
            f"sharpness {im.sharpness:.0f} {' '.join(im.flags)}"
        )
    return 0
