"""The one face of an avatar photo, found with the shared insightface module (antelopev2).

Only the SCRFD detector is loaded (no recognition): lipsync needs the box, not the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.core.errors import BadInput
from studio.pipelines.context import RunContext

# A second detection scoring below this fraction of the best is a poster/reflection, not a face.
SECOND_FACE_RATIO = 0.6


@dataclass(frozen=True)
class FaceBox:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    score: float
    keypoints: np.ndarray | None  # (5, 2): eyes, nose, mouth corners


def load_detector(ctx: RunContext) -> Any:
    """The SCRFD detector; first, one ModelMissing naming every missing lipsync model."""
    from studio.pipelines.faces import DEFAULT_PACK, load_face_analysis
    from studio.pipelines.lipsync.models import require_models

    require_models(ctx)
    return ctx.model(
        f"faces:{DEFAULT_PACK}:detection:{ctx.device}",
        lambda: load_face_analysis(ctx.store, ctx.device, modules=("detection",)),
    )


def find_single_face(ctx: RunContext, image_rgb: np.ndarray) -> FaceBox:
    """The avatar's face; :class:`BadInput` when there is none or more than one."""
    from studio.pipelines.faces import detect_faces

    faces = detect_faces(load_detector(ctx), image_rgb, with_embedding=False)
    boxes = np.array([[*f.bbox, f.score] for f in faces], dtype=np.float32).reshape(-1, 5)
    kpss = np.stack([f.kps for f in faces]) if faces else None
    if boxes is None or len(boxes) == 0:
        raise BadInput(
            "No face was found in the avatar image. Use a photo with one clearly visible, "
            "front-facing face."
        )
    order = np.argsort(-boxes[:, 4])
    best = boxes[order[0]]
    others = [
        b
        for b in boxes[order[1:]]
        if b[4] >= SECOND_FACE_RATIO * best[4] and not _centre_inside(b, best)
    ]
    if others:
        raise BadInput(
            f"The avatar image shows {len(others) + 1} faces. Crop it to the one person who "
            "should speak."
        )
    kps = None if kpss is None else np.asarray(kpss[order[0]], dtype=np.float32)
    x0, y0, x1, y1 = (float(v) for v in best[:4])
    return FaceBox((x0, y0, x1, y1), float(best[4]), kps)


def _centre_inside(box: np.ndarray, outer: np.ndarray) -> bool:
    # A weaker box centred inside the best one is the same face found twice, not a second face.
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return bool(outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3])
