"""Head-and-shoulders poses for headshots: preset poses and poses read from a photo, drawn as
OpenPose body skeletons for the pose ControlNet and as InstantID's five face keypoints.

A pose is a few angles (:class:`PoseAngles`: head yaw and roll, shoulder turn) turned into
points by a small 3D head-and-shoulders model, so the skeleton the pose ControlNet sees and
the face keypoints IdentityNet sees always agree. The points are placed in the headshot
framing of :func:`~studio.pipelines.headshots.instantid.place_keypoints` (face box about a
third of the width, centred at 42% of the height) for every format (1:1, 4:5, 2:3).

The skeleton follows OpenPose's 18 body keypoints (COCO order: nose, neck, right shoulder,
elbow, wrist, left shoulder, elbow, wrist, right hip, knee, ankle, left hip, knee, ankle,
right eye, left eye, right ear, left ear; "right" is the subject's right, on the left of the
picture) and its drawing: 17 limbs as ellipses in the standard colours at 60%, then a dot per
keypoint; points outside the frame or hidden (the far ear of a turned head) are left out, as
OpenPose leaves out what it cannot see.

A photo's pose comes from the face keypoints insightface (antelopev2, already needed by
Headshots) finds in it: the head's yaw from where the nose sits between the eyes, its roll
from the eye line; the shoulders follow the head halfway (no body detector is used).

Importing this module is cheap (numpy only); cv2 and PIL are imported when drawing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput

MODEL_ID = "controlnet-openpose-sdxl"  # the catalogue entry of the pose ControlNet
PHOTO = "photo"  # the settings' pose kind for a pose read from a reference photo

# key -> label, in the order a picker shows them
POSE_PRESETS: dict[str, str] = {
    "straight": "Straight on",
    "three-quarter-left": "Three-quarter, facing left",
    "three-quarter-right": "Three-quarter, facing right",
    "head-tilt": "Head tilted",
    "shoulders-turned": "Shoulders turned, face to camera",
}

# OpenPose's limbs (keypoint index pairs) and colours, as the ControlNets were trained on.
LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)  # fmt: skip
COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
NUM_KEYPOINTS = 18


@dataclass(frozen=True)
class PoseAngles:
    """Degrees. ``yaw`` < 0 turns the face towards the left of the picture; ``roll`` > 0
    tilts the head clockwise (as seen); ``shoulders`` turns the upper body like ``yaw``."""

    yaw: float = 0.0
    roll: float = 0.0
    shoulders: float = 0.0


PRESET_ANGLES: dict[str, PoseAngles] = {
    "straight": PoseAngles(),
    "three-quarter-left": PoseAngles(yaw=-30, shoulders=-25),
    "three-quarter-right": PoseAngles(yaw=30, shoulders=25),
    "head-tilt": PoseAngles(roll=12, shoulders=-8),
    "shoulders-turned": PoseAngles(yaw=-8, shoulders=-40),
}

# The head model, in face widths (ear to ear = 1), x right, y down, z towards the camera,
# origin between the ears: OpenPose head points and InstantID's five face keypoints.
_HEAD = {
    "nose": (0.0, 0.12, 0.55),
    "r_eye": (-0.2, -0.05, 0.38),
    "l_eye": (0.2, -0.05, 0.38),
    "r_ear": (-0.5, 0.02, -0.05),
    "l_ear": (0.5, 0.02, -0.05),
    "r_mouth": (-0.15, 0.34, 0.42),
    "l_mouth": (0.15, 0.34, 0.42),
}
_PIVOT = np.array([0.0, 0.6])  # the head tilts about the top of the neck
_NECK_DROP = 1.05  # neck keypoint (between the shoulders) below the head centre
_SHOULDER_HALF = 1.05  # half the shoulder width
_NOSE_AHEAD = _HEAD["nose"][2] - _HEAD["r_eye"][2]  # nose tip in front of the eyes
_MAX_YAW = 60.0


def _rotate_y(point: tuple[float, float, float], yaw: float) -> tuple[float, float, float]:
    x, y, z = point
    a = math.radians(yaw)
    return x * math.cos(a) + z * math.sin(a), y, -x * math.sin(a) + z * math.cos(a)


def _rotate_2d(points: np.ndarray, degrees: float, pivot: np.ndarray) -> np.ndarray:
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (points - pivot) @ rot.T + pivot


@dataclass(frozen=True)
class PosePoints:
    """A pose placed in a frame: ``body`` (18, 2) pixel coordinates, NaN where a keypoint is
    not drawn; ``face`` (5, 2): InstantID's keypoints (left eye, right eye, nose, left and
    right mouth corner, as seen)."""

    body: np.ndarray
    face: np.ndarray
    size: tuple[int, int]


def pose_points(
    angles: PoseAngles,
    size: tuple[int, int],
    face_width: float = 0.34,
    centre: tuple[float, float] = (0.5, 0.42),
    jitter: np.ndarray | None = None,
) -> PosePoints:
    """The pose in a ``size`` = (width, height) frame, framed like the InstantID keypoints;
    ``jitter`` (dx, dy, dscale), as :func:`instantid.place_keypoints` takes it, moves the whole
    figure a little per image."""
    w, h = size
    dx, dy, ds = (0.0, 0.0, 0.0) if jitter is None else tuple(float(v) for v in jitter)
    unit = face_width * w * (1 + ds)
    origin = np.array([(centre[0] + dx) * w, (centre[1] + dy) * h])
    head = {k: _rotate_y(p, angles.yaw) for k, p in _HEAD.items()}
    flat = {k: np.array(p[:2]) for k, p in head.items()}
    names = list(flat)
    tilted = _rotate_2d(np.stack([flat[k] for k in names]), angles.roll, _PIVOT)
    at = {k: tilted[i] * unit + origin for i, k in enumerate(names)}
    # The far ear hides behind the head once it is turned far enough (OpenPose leaves it out).
    seen = {k: head[k][2] > -0.15 for k in names}
    neck = origin + np.array([0.0, _NECK_DROP]) * unit
    half = _SHOULDER_HALF * math.cos(math.radians(angles.shoulders)) * unit
    body = np.full((NUM_KEYPOINTS, 2), np.nan)
    body[0], body[1] = at["nose"], neck
    body[2], body[5] = neck - (half, 0.0), neck + (half, 0.0)
    # Upper arms hang from the shoulders; the elbows usually fall below a headshot's frame.
    for shoulder, elbow, side in ((2, 3, -1), (5, 6, 1)):
        body[elbow] = body[shoulder] + np.array([0.12 * side, 1.5]) * unit
    for index, name in ((14, "r_eye"), (15, "l_eye"), (16, "r_ear"), (17, "l_ear")):
        if seen[name]:
            body[index] = at[name]
    inside = (body[:, 0] >= 0) & (body[:, 0] < w) & (body[:, 1] >= 0) & (body[:, 1] < h)
    body[~inside] = np.nan
    face = np.stack([at[k] for k in ("r_eye", "l_eye", "nose", "r_mouth", "l_mouth")])
    return PosePoints(body, face.astype(np.float32), (int(w), int(h)))


def draw_pose(points: PosePoints) -> Any:
    """The OpenPose body image (RGB PIL) the pose ControlNet takes."""
    import cv2
    from PIL import Image

    w, h = points.size
    # OpenPose draws 4 px sticks at 512; large frames get proportionally thicker ones, as the
    # SDXL pose ControlNets were trained on 1024-pixel images.
    stick = max(2, round(4 * min(w, h) / 512))
    canvas = np.zeros((h, w, 3), dtype=np.uint8)
    body = points.body
    for (a, b), colour in zip(LIMBS, COLORS, strict=False):
        if np.isnan(body[[a, b]]).any():
            continue
        (x0, y0), (x1, y1) = body[a], body[b]
        length = math.hypot(x1 - x0, y1 - y0)
        angle = math.degrees(math.atan2(y0 - y1, x0 - x1))
        poly = cv2.ellipse2Poly(
            (int((x0 + x1) / 2), int((y0 + y1) / 2)),
            (int(length / 2), stick),
            int(angle),
            0,
            360,
            1,
        )
        dim = [int(c * 0.6) for c in colour]
        cv2.fillConvexPoly(canvas, np.asarray(poly, dtype=np.int32), dim)
    for i, (x, y) in enumerate(body):
        if not np.isnan(x):
            cv2.circle(canvas, (int(x), int(y)), stick, COLORS[i], -1)
    return Image.fromarray(canvas)


def angles_from_face(kps: np.ndarray) -> PoseAngles:
    """Head yaw and roll from five face keypoints (left eye, right eye, nose, mouth corners,
    as insightface gives them); the shoulders follow the head halfway."""
    kps = np.asarray(kps, dtype=np.float64)
    eye_l, eye_r, nose = kps[0], kps[1], kps[2]
    eyes = eye_r - eye_l
    span = float(np.hypot(*eyes))
    if span < 1e-6:
        raise BadInput("The pose photo's face is too small to read a pose from.")
    roll = math.degrees(math.atan2(eyes[1], eyes[0]))
    # The nose's offset from the eyes' middle, along the eye line: sin(yaw) x nose depth,
    # against the eye distance (cos(yaw) x eye width) -> tan(yaw).
    along = float(np.dot(nose - (eye_l + eye_r) / 2, eyes / span))
    eye_width = _HEAD["l_eye"][0] - _HEAD["r_eye"][0]
    yaw = math.degrees(math.atan(along / span * eye_width / _NOSE_AHEAD))
    yaw = max(-_MAX_YAW, min(_MAX_YAW, yaw))
    return PoseAngles(yaw=round(yaw, 1), roll=round(roll, 1), shoulders=round(yaw / 2, 1))


def is_photo(pose: Any) -> bool:
    """True when ``pose`` is a reference photo (a path, bytes or an image array), not a key."""
    return not isinstance(pose, str)


def check_pose(pose: Any) -> None:
    """BadInput unless ``pose`` is "" (no pose), a preset key or a reference photo. A photo is
    given as a :class:`~pathlib.Path` (or bytes / an RGB array): text is always a preset key,
    so a job sent to a server never names a file on that server."""
    if isinstance(pose, str):
        if pose and pose not in POSE_PRESETS:
            known = ", ".join(POSE_PRESETS)
            raise BadInput(f"Unknown pose '{pose}'. Known poses: {known}; or give a photo.")
        return
    if isinstance(pose, Path):
        if not pose.is_file():
            raise BadInput(f"The pose photo '{pose.name}' does not exist.", str(pose))
        return
    if not isinstance(pose, (bytes, np.ndarray)):
        raise BadInput("The pose must be a preset name or a photo.")


def photo_angles(pose: Any, analysis: Any) -> PoseAngles:
    """The pose of the largest face in a reference photo (insightface ``analysis``);
    BadInput when the photo cannot be read or shows no face."""
    from studio.pipelines import faces
    from studio.pipelines.headshots import quality

    name = pose.name if isinstance(pose, Path) else "the pose photo"
    try:
        rgb = quality.load_image(pose)
    except BadInput as exc:
        raise BadInput(f"The pose photo {name} could not be read.", exc.detail) from exc
    found = faces.detect_faces(analysis, rgb, with_embedding=False)
    if not found:
        raise BadInput(f"No face was found in the pose photo {name}. Try a clearer photo.")
    biggest = max(found, key=lambda f: f.area)
    return angles_from_face(biggest.kps)


def pose_settings(pose: Any, analysis: Any = None) -> dict[str, Any]:
    """What a pack records about its pose (also all a resume or re-roll needs): ``pose_kind``
    ("" none, a preset key, or "photo"), ``pose_name`` and the angles. ``analysis`` (the
    insightface pack) is needed for a photo only."""
    if isinstance(pose, str):
        if not pose:
            return {"pose_kind": ""}
        angles, kind, name = PRESET_ANGLES[pose], pose, POSE_PRESETS[pose]
    else:
        angles, kind = photo_angles(pose, analysis), PHOTO
        name = pose.name if isinstance(pose, Path) else "photo"
    return {
        "pose_kind": kind,
        "pose_name": name,
        "pose_angles": [angles.yaw, angles.roll, angles.shoulders],
    }


def angles_of(settings: dict[str, Any]) -> PoseAngles | None:
    """A pack's pose (None: no pose ControlNet, the keypoints of the selfie as before)."""
    if not settings.get("pose_kind"):
        return None
    yaw, roll, shoulders = (float(v) for v in settings["pose_angles"])
    return PoseAngles(yaw, roll, shoulders)


def image_jitter(seed: int, index: int, vary: bool) -> np.ndarray | None:
    """The small seeded per-image shift (dx, dy, dscale) a pack's ``pose`` setting turns on."""
    if not vary:
        return None
    rng = np.random.default_rng(seed * 100_003 + index)
    return rng.uniform([-0.04, -0.03, -0.08], [0.04, 0.03, 0.08])


def wanted(pose: Any) -> bool:
    """True when a pack asks for the pose ControlNet (a preset or a photo)."""
    return is_photo(pose) or bool(pose)
