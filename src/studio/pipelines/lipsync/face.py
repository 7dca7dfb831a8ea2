"""Finding the one face in an avatar photo with insightface's SCRFD detector (antelopev2 pack).

Minimal access to the detector only: the shared ``studio.pipelines.faces`` module did not exist
when lipsync was written; switch to it once it lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.core.errors import BadInput
from studio.pipelines.context import RunContext

DETECTOR_ID = "antelopev2"
DETECTOR_FILE = "models/antelopev2/scrfd_10g_bnkps.onnx"
DET_SIZE = (640, 640)
# A second detection scoring below this fraction of the best is a poster/reflection, not a face.
SECOND_FACE_RATIO = 0.6


@dataclass(frozen=True)
class FaceBox:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    score: float
    keypoints: np.ndarray | None  # (5, 2): eyes, nose, mouth corners


def load_detector(ctx: RunContext) -> Any:
    def loader() -> Any:
        import onnxruntime
        from insightface.model_zoo import get_model

        path = ctx.store.require(DETECTOR_ID) / DETECTOR_FILE
        providers = ["CPUExecutionProvider"]
        if ctx.is_cuda and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        detector = get_model(str(path), providers=providers)
        detector.prepare(ctx_id=0 if ctx.is_cuda else -1, input_size=DET_SIZE, det_thresh=0.5)
        return detector

    return ctx.model(f"{DETECTOR_ID}:detector:{ctx.device}", loader)


def find_single_face(ctx: RunContext, image_rgb: np.ndarray) -> FaceBox:
    """The avatar's face; :class:`BadInput` when there is none or more than one."""
    detector = load_detector(ctx)
    bgr = np.ascontiguousarray(image_rgb[:, :, ::-1])
    boxes, kpss = detector.detect(bgr, input_size=DET_SIZE)
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
