"""Face detection, alignment and identity embeddings with insightface (Qt-free, shared).

The headshots (InstantID) and lipsync pipelines both use this module. Models load from the
model store: for ``antelopev2`` the ONNX files live in
``<store>/antelopev2/models/antelopev2/*.onnx`` (the layout of the InstantX/InstantID space).

Typical use::

    analysis = ctx.model("faces:antelopev2", lambda: load_face_analysis(ctx.store, ctx.device))
    faces = detect_faces(analysis, rgb)           # largest first
    crop = align_face(rgb, faces[0].kps, 112)     # ArcFace alignment

Images are RGB ``uint8`` numpy arrays (H, W, 3) everywhere in this module; insightface
itself expects BGR, and the conversion happens here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput
from studio.models.loading import load_or_damaged
from studio.models.store import ModelStore

DEFAULT_PACK = "antelopev2"


@dataclass
class Face:
    """One detected face, in the coordinates of the image it was found in."""

    bbox: np.ndarray  # (4,) x1, y1, x2, y2
    kps: np.ndarray  # (5, 2): left eye, right eye, nose, left mouth corner, right mouth corner
    score: float
    embedding: np.ndarray | None = None  # L2-normalised identity embedding (512,), if computed

    @property
    def width(self) -> float:
        return float(self.bbox[2] - self.bbox[0])

    @property
    def height(self) -> float:
        return float(self.bbox[3] - self.bbox[1])

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)


def pack_dir(store: ModelStore, model_id: str = DEFAULT_PACK) -> Path:
    """The folder holding the pack's ONNX files (raises ModelMissing when not installed)."""
    return store.require(model_id) / "models" / model_id


def onnx_providers(device: str) -> list[str]:
    """CUDA first when running on a GPU and onnxruntime has it; the CPU always works."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if device.startswith("cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def load_face_analysis(
    store: ModelStore,
    device: str = "cpu",
    model_id: str = DEFAULT_PACK,
    det_size: int = 640,
    modules: tuple[str, ...] = ("detection", "recognition"),
) -> Any:
    """An insightface ``FaceAnalysis`` over the installed pack (detection + recognition).

    Only ``modules`` are loaded: the pack's landmark and gender/age models are not needed
    for identity work and would cost a second per face on the CPU. A damaged ONNX file
    raises :class:`ModelDamaged` ("download again"), not insightface's assertion.
    """
    from insightface.app import FaceAnalysis

    folder = pack_dir(store, model_id)

    def read() -> Any:
        # Passing the folder itself (not name + root) means insightface never tries a download.
        analysis = FaceAnalysis(
            name=str(folder), allowed_modules=list(modules), providers=onnx_providers(device)
        )
        missing = [m for m in modules if m not in analysis.models]
        if missing:  # a file insightface could not recognise is skipped, not reported
            raise ValueError(f"no usable {', '.join(missing)} model in {folder}")
        ctx_id = 0 if device.startswith("cuda") else -1
        analysis.prepare(ctx_id=ctx_id, det_size=(det_size, det_size))
        return analysis

    return load_or_damaged(model_id, read, store.catalogue)


def to_rgb_array(image: Any) -> np.ndarray:
    """A PIL image or an array as RGB uint8 (H, W, 3)."""
    if hasattr(image, "convert"):
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise BadInput("The image must be an RGB picture.", f"shape {arr.shape}")
    return np.ascontiguousarray(arr[:, :, :3].astype(np.uint8))


def detect_faces(analysis: Any, image: Any, with_embedding: bool = True) -> list[Face]:
    """All faces in ``image`` (RGB), largest first; embeddings when the pack recognises."""
    rgb = to_rgb_array(image)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    if with_embedding:
        raw = analysis.get(bgr)
    else:
        bboxes, kpss = analysis.det_model.detect(bgr, max_num=0, metric="default")
        raw = [
            _RawFace(bbox=bboxes[i, :4], kps=kpss[i], det_score=bboxes[i, 4])
            for i in range(bboxes.shape[0])
        ]
    faces = []
    for f in raw:
        emb = getattr(f, "embedding", None)
        if emb is not None:
            emb = np.asarray(emb, dtype=np.float32)
            emb = emb / max(float(np.linalg.norm(emb)), 1e-8)
        faces.append(
            Face(
                bbox=np.asarray(f.bbox, dtype=np.float32),
                kps=np.asarray(f.kps, dtype=np.float32),
                score=float(f.det_score),
                embedding=emb,
            )
        )
    faces.sort(key=lambda face: face.area, reverse=True)
    return faces


@dataclass
class _RawFace:
    bbox: np.ndarray
    kps: np.ndarray
    det_score: float


def align_face(image: Any, kps: np.ndarray, size: int = 112) -> np.ndarray:
    """The ArcFace-aligned square crop (RGB) for five keypoints; ``size`` a multiple of 112."""
    from insightface.utils import face_align

    rgb = to_rgb_array(image)
    return face_align.norm_crop(rgb, landmark=np.asarray(kps, dtype=np.float32), image_size=size)


def crop_around(image: Any, face: Face, scale: float = 1.6, size: int = 256) -> np.ndarray:
    """A square crop centred on the face box (``scale`` times its larger side), resized."""
    import cv2

    rgb = to_rgb_array(image)
    cx, cy = (face.bbox[0] + face.bbox[2]) / 2, (face.bbox[1] + face.bbox[3]) / 2
    half = max(face.width, face.height) * scale / 2
    src = np.array(
        [[cx - half, cy - half], [cx + half, cy - half], [cx - half, cy + half]], dtype=np.float32
    )
    dst = np.array([[0, 0], [size, 0], [0, size]], dtype=np.float32)
    matrix = cv2.getAffineTransform(src, dst)
    return cv2.warpAffine(rgb, matrix, (size, size), borderMode=cv2.BORDER_REFLECT)


def mean_embedding(embeddings: list[np.ndarray]) -> np.ndarray:
    """The L2-normalised mean of several identity embeddings (several selfies, one person)."""
    if not embeddings:
        raise ValueError("no embeddings to average")
    mean = np.mean(np.stack([e / max(np.linalg.norm(e), 1e-8) for e in embeddings]), axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-8)).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors."""
    a, b = np.ravel(a), np.ravel(b)
    return float(np.dot(a, b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-8))
