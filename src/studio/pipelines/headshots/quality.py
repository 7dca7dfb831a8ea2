"""Selfie checks and image scores for headshot packs (Qt-free).

Identity is scored with dlib's face recognition ResNet (128-d descriptors, trained weights
shipped by the PyPI package ``face-recognition-models``, MIT) -- deliberately *not* the
insightface ArcFace model that InstantID uses to inject identity, so a high score is not the
generator agreeing with itself. dlib's documented rule: two descriptors closer than 0.6 are
the same person; we report ``id_score = 1 - distance`` (same person about 0.75-0.9, different
people below 0.4) and flag images under :data:`MIN_ID_SCORE`.

Sharpness is the Tenengrad measure (mean squared Sobel gradient) on the aligned face chip;
duplicates are found with SSIM on small grayscale thumbnails.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput

MIN_FACE_PX = 80  # face box side in pixels; smaller faces lose identity detail
MIN_FACE_FRACTION = 0.08  # of the image's shorter side: tiny faces in a wide shot
MIN_SHARPNESS = 250.0  # Tenengrad on the 150 px chip: a 2 px Gaussian blur scores ~190
MIN_BRIGHTNESS = 45.0  # mean luminance (0-255) of the face chip
MIN_ID_SCORE = 0.4  # 1 - dlib distance; dlib's same-person threshold is distance 0.6
DUPLICATE_SSIM = 0.92
SECOND_FACE_RATIO = 0.35  # faces smaller than this fraction of the largest are background
DETECT_MIN_SCORE = 0.3
CHIP_SIZE = 150  # dlib's recognition network input


@dataclass
class DetectedFace:
    box: tuple[int, int, int, int]  # x1, y1, x2, y2
    score: float

    @property
    def side(self) -> int:
        return min(self.box[2] - self.box[0], self.box[3] - self.box[1])


@dataclass
class SelfieCheck:
    """A selfie that passed validation, with what the pack needs from it."""

    name: str
    face: DetectedFace
    descriptor: np.ndarray  # dlib 128-d
    chip: np.ndarray  # aligned RGB face crop (CHIP_SIZE^2)
    sharpness: float
    brightness: float


def dlib_model_dir() -> Path:
    """Where ``face-recognition-models`` installed dlib's weights (without importing it:
    its ``__init__`` needs ``pkg_resources``, which recent setuptools no longer ship)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise BadInput(
            "The face scoring model is missing: install the Python package "
            "'face-recognition-models'."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class FaceScorer:
    """dlib's HOG face detector, 5-point shape predictor and recognition ResNet."""

    def __init__(self) -> None:
        import dlib

        folder = dlib_model_dir()
        self._dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.shape = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
        self.recognizer = dlib.face_recognition_model_v1(
            str(folder / "dlib_face_recognition_resnet_model_v1.dat")
        )

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]:
        """Faces, largest first. Large photos are searched downscaled (HOG cost is per pixel)."""
        import cv2

        h, w = rgb.shape[:2]
        scale = min(1.0, 900.0 / max(h, w))
        small = (
            rgb
            if scale == 1.0
            else cv2.resize(rgb, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        )
        upsample = 1 if max(small.shape[:2]) < 700 else 0
        rects, scores, _ = self.detector.run(np.ascontiguousarray(small), upsample, 0.0)
        faces = [
            DetectedFace(
                (
                    int(r.left() / scale),
                    int(r.top() / scale),
                    int(r.right() / scale),
                    int(r.bottom() / scale),
                ),
                float(s),
            )
            for r, s in zip(rects, scores, strict=False)
            if s >= DETECT_MIN_SCORE
        ]
        faces.sort(key=lambda f: f.side, reverse=True)
        return faces

    def _landmarks(self, rgb: np.ndarray, face: DetectedFace) -> Any:
        rect = self._dlib.rectangle(*face.box)
        return self.shape(rgb, rect)

    def descriptor(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """dlib's 128-d identity descriptor of ``face``."""
        rgb = np.ascontiguousarray(rgb)
        return np.asarray(
            self.recognizer.compute_face_descriptor(rgb, self._landmarks(rgb, face), 0),
            dtype=np.float32,
        )

    def chip(self, rgb: np.ndarray, face: DetectedFace, size: int = CHIP_SIZE) -> np.ndarray:
        """The aligned face crop dlib's recogniser sees (eyes level, fixed scale)."""
        rgb = np.ascontiguousarray(rgb)
        return np.asarray(self._dlib.get_face_chip(rgb, self._landmarks(rgb, face), size=size))

    def largest(self, rgb: np.ndarray) -> DetectedFace | None:
        faces = self.detect(rgb)
        return faces[0] if faces else None


def identity_score(reference: np.ndarray, descriptor: np.ndarray) -> float:
    """1 - dlib distance, clipped to [0, 1]: same person above 0.4, usually 0.75-0.9."""
    distance = float(np.linalg.norm(np.ravel(reference) - np.ravel(descriptor)))
    return float(np.clip(1.0 - distance, 0.0, 1.0))


def mean_descriptor(descriptors: list[np.ndarray]) -> np.ndarray:
    """Several selfies of one person: the mean descriptor (dlib's space is Euclidean)."""
    return np.mean(np.stack(descriptors), axis=0).astype(np.float32)


def _gray(image: np.ndarray) -> np.ndarray:
    import cv2

    if image.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    return image


def tenengrad(image: np.ndarray) -> float:
    """Mean squared Sobel gradient magnitude (higher is sharper)."""
    import cv2

    gray = _gray(image).astype(np.float32)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return float(np.mean(gx * gx + gy * gy)) / 16.0  # /16: Sobel 3x3 gain, so ~pixel units^2


def brightness(image: np.ndarray) -> float:
    """Mean luminance, 0-255."""
    return float(np.mean(_gray(image)))


def ssim(a: np.ndarray, b: np.ndarray, size: int = 128) -> float:
    """Structural similarity of two images compared as ``size``^2 grayscale thumbnails."""
    import cv2
    from skimage.metrics import structural_similarity

    ga = cv2.resize(_gray(a), (size, size), interpolation=cv2.INTER_AREA)
    gb = cv2.resize(_gray(b), (size, size), interpolation=cv2.INTER_AREA)
    return float(structural_similarity(ga, gb, data_range=255))


def find_duplicates(images: list[np.ndarray], threshold: float = DUPLICATE_SSIM) -> list[int]:
    """For each image, the index of an earlier near-identical one, or -1."""
    out = []
    for i, img in enumerate(images):
        dup = -1
        for j in range(i):
            if ssim(img, images[j]) >= threshold:
                dup = j
                break
        out.append(dup)
    return out


def load_image(source: Any) -> np.ndarray:
    """An RGB uint8 array from a path/bytes/array; BadInput for a non-image or corrupt file."""
    if isinstance(source, np.ndarray):
        return source[:, :, :3].astype(np.uint8) if source.ndim == 3 else np.stack([source] * 3, -1)
    from studio.core.imageio import load_image as decode

    return np.asarray(decode(source, "RGB"), dtype=np.uint8)


def validate_selfie(scorer: FaceScorer, rgb: np.ndarray, name: str = "photo") -> SelfieCheck:
    """Check one selfie; BadInput says what is wrong (no face, several, small, blurred, dark)."""
    faces = scorer.detect(rgb)
    if not faces:
        raise BadInput(f"No face found in {name}. Use a photo with your face clearly visible.")
    main = faces[0]
    others = [f for f in faces[1:] if f.side >= SECOND_FACE_RATIO * main.side]
    if others:
        raise BadInput(f"{len(others) + 1} faces found in {name}. Use a photo with only you in it.")
    shorter = min(rgb.shape[:2])
    if main.side < MIN_FACE_PX or main.side < MIN_FACE_FRACTION * shorter:
        raise BadInput(
            f"The face in {name} is too small ({main.side} px). Use a closer photo where "
            f"the face is at least {MIN_FACE_PX} px wide."
        )
    chip = scorer.chip(rgb, main)
    # Light first: a dark photo also has weak gradients, and "too dark" is the real cause.
    light = brightness(chip)
    if light < MIN_BRIGHTNESS:
        raise BadInput(f"{name} is too dark. Use a photo taken in better light.")
    sharp = tenengrad(chip)
    if sharp < MIN_SHARPNESS:
        raise BadInput(f"{name} is blurred (sharpness {sharp:.0f}). Use a sharper photo.")
    return SelfieCheck(name, main, scorer.descriptor(rgb, main), chip, sharp, light)


def flags_for(item: Any) -> list[str]:
    """The review flags of a pack image (a ``packs.PackImage``) from its scores."""
    out = []
    if not item.face_found:
        out.append("no-face")
    elif item.id_score < MIN_ID_SCORE:
        out.append("low-identity")
    if item.sharpness < MIN_SHARPNESS:
        out.append("blurred")
    if item.duplicate_of >= 0:
        out.append("duplicate")
    return out


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    """The 128 px square the pack compares drafts at (duplicates)."""
    import cv2

    return cv2.resize(rgb, (128, 128), interpolation=cv2.INTER_AREA)
