"""The identity behind a headshot pack: the selfies checked and turned into the embedding,
scoring descriptor and keypoints every image is conditioned on (stage 1 of :mod:`pack`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.core.errors import BadInput
from studio.pipelines import faces
from studio.pipelines.context import RunContext
from studio.pipelines.headshots import instantid, packs, quality

if TYPE_CHECKING:
    from studio.pipelines.headshots.pack import PackRequest


@dataclass
class Identity:
    """Who every image of a pack shows."""

    embedding: np.ndarray  # insightface (InstantID) 512-d, mean over selfies
    descriptor: np.ndarray  # dlib 128-d, mean over selfies (scoring only)
    kps: np.ndarray
    bbox: np.ndarray


def scorer(ctx: RunContext) -> quality.FaceScorer:
    """The dlib face scorer (checks selfies, scores drafts), cached by the model manager."""
    return ctx.model("headshots:dlib-scorer", quality.FaceScorer, 150_000_000)


def face_analysis(ctx: RunContext, model_id: str) -> Any:
    """The insightface pack ``model_id`` on the run's device, cached by the model manager."""
    return ctx.model(
        f"faces:{model_id}:{ctx.device}",
        lambda: faces.load_face_analysis(ctx.store, ctx.device, model_id),
        ctx.store.catalogue.get(model_id).vram_bytes,
    )


def analyse_selfies(
    request: PackRequest, ctx: RunContext
) -> tuple[Identity, list[quality.SelfieCheck]]:
    """Validate every selfie (BadInput names the photo and the problem) and build the identity."""
    total = len(request.selfies)
    ctx.progress("Checking selfies", 0, total)
    dlib_scorer = scorer(ctx)
    analysis = face_analysis(ctx, request.face_model)
    checks, embeddings, found = [], [], []
    for i, source in enumerate(request.selfies):
        ctx.check()
        name = Path(source).name if isinstance(source, (str, Path)) else f"selfie {i + 1}"
        rgb = quality.load_image(source)
        checks.append(quality.validate_selfie(dlib_scorer, rgb, name))
        detected = faces.detect_faces(analysis, rgb)
        if not detected or detected[0].embedding is None:
            raise BadInput(f"The identity model found no face in {name}. Try a clearer photo.")
        embeddings.append(detected[0].embedding)
        found.append(detected[0])
        ctx.progress("Checking selfies", i + 1, total)
    identity = Identity(
        embedding=faces.mean_embedding(embeddings),
        descriptor=quality.mean_descriptor([c.descriptor for c in checks]),
        kps=found[0].kps,
        bbox=found[0].bbox,
    )
    return identity, checks


def identity_dict(identity: Identity) -> dict[str, Any]:
    """The identity as plain lists, for the pack manifest."""
    return {
        k: np.asarray(v, dtype=np.float32).tolist() for k, v in dataclasses.asdict(identity).items()
    }


def identity_from_pack(pack: packs.Pack) -> Identity:
    """The identity saved in a pack's manifest (resume and re-roll need no selfies)."""
    return Identity(
        **{
            k: np.asarray(pack.identity[k], dtype=np.float32)
            for k in ("embedding", "descriptor", "kps", "bbox")
        }
    )


def keypoint_image(
    identity: Identity, index: int, seed: int, size: int | tuple[int, int], pose: bool
) -> Any:
    """The IdentityNet condition for image ``index``: the selfie's keypoints in headshot
    framing, varied a little per image (seeded) when ``pose`` is on."""
    from studio.pipelines.headshots.pose import image_jitter

    jitter = image_jitter(seed, index, pose)
    frame = (size, size) if isinstance(size, int) else size  # (width, height)
    kps = instantid.place_keypoints(identity.kps, identity.bbox, frame, jitter=jitter)
    return instantid.draw_keypoints(frame, kps)
