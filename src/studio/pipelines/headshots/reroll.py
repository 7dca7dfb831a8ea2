"""Re-roll one image of a saved pack with a new seed (job ``headshots.reroll``).

The identity (embedding, descriptor, keypoints) and settings come from the pack's manifest,
so no selfie is needed again; a refined image is refined (and upscaled) again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.errors import BadInput
from studio.pipelines.context import RunContext
from studio.pipelines.headshots import generate, packs, quality, styles
from studio.pipelines.headshots.pack import (
    PackRequest,
    Session,
    finish_images,
    identity_from_pack,
    preview,
)


@dataclass
class RerollRequest:
    """Replace one image of a saved pack with a new seed (refined again if it was)."""

    folder: Path
    index: int
    seed: int | None = None  # None: a fresh random seed


def reroll(request: RerollRequest, ctx: RunContext) -> packs.PackImage:
    """Draw image ``index`` again with another seed; returns its new entry."""
    seed = request.seed
    if seed is not None and (isinstance(seed, bool) or not 0 <= int(seed) <= 2**63 - 1):
        raise BadInput(f"The seed must be between 0 and {2**63 - 1} (got {seed}).")
    # load_pack refuses a manifest whose paths lead outside the pack: the old final image
    # deleted below is always the pack's own file
    pack = packs.load_pack(request.folder)
    old = pack.image(request.index)
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    style = styles.StylePack(
        pack.style, pack.style, pack.prompt, pack.negative_prompt, dict(pack.settings)
    )
    base = PackRequest(
        selfies=[],
        style=pack.style,
        folder=pack.folder,
        base_model=pack.models["base"],
        instantid_model=pack.models["identity"],
        face_model=pack.models["faces"],
    )
    session = Session(base, ctx, pack, identity_from_pack(pack), style)
    for im in pack.images:
        if im.index != old.index:
            session.thumbs[im.index] = quality.thumbnail(quality.load_image(pack.path(im.draft)))
    ctx.progress("Re-roll", 0, 1)
    latent = session.sample([old.index], [seed], steps=int(pack.settings["steps"]))
    rgb = generate.decode_tiny(session.models, latent)[0]
    item = session.add_draft(old.index, seed, latent[0], rgb)
    if old.final:
        pack.path(old.final).unlink(missing_ok=True)
        finish_images(session, [item])
    ctx.progress("Re-roll", 1, 1, preview(rgb))
    return item
