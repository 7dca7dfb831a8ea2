"""Pose presets and photo poses: OpenPose skeletons per preset and format, the face keypoints
that go with them, and the errors for a bad pose (no models needed)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.headshots import pose
from studio.pipelines.headshots.frames import ASPECTS, frame_size
from studio.pipelines.headshots.pack import PackRequest, check_request


def _allowed_colours() -> set[tuple[int, int, int]]:
    """Black, each keypoint's colour and each limb's colour at 60% (OpenPose's drawing)."""
    full = {tuple(c) for c in pose.COLORS}
    limbs = {tuple(int(v * 0.6) for v in c) for c in pose.COLORS}
    return full | limbs | {(0, 0, 0)}


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("key", list(pose.POSE_PRESETS))
def test_each_preset_draws_an_openpose_skeleton_in_each_format(key, aspect):
    size = frame_size(1024, aspect)
    points = pose.pose_points(pose.PRESET_ANGLES[key], size)
    image = np.asarray(pose.draw_pose(points))
    assert image.shape == (size[1], size[0], 3) and image.dtype == np.uint8
    colours = {tuple(int(v) for v in c) for c in np.unique(image.reshape(-1, 3), axis=0)}
    assert colours <= _allowed_colours()
    body = points.body
    # head, neck and both shoulders are in the frame of every format; the dot at each
    # keypoint is drawn in that keypoint's own colour
    for index in (0, 1, 2, 5, 14, 15):
        x, y = body[index]
        assert 0 <= x < size[0] and 0 <= y < size[1], (index, x, y)
        assert tuple(image[int(y), int(x)]) == pose.COLORS[index], index
    assert body[2, 0] < body[1, 0] < body[5, 0]  # the subject's right shoulder on the left
    assert body[14, 0] < body[15, 0]  # and their right eye
    # the neck lies between the shoulders, below the nose
    assert body[1, 1] > body[0, 1] and body[1, 1] == pytest.approx(body[2, 1])
    # InstantID's five face keypoints sit on the skeleton's eyes and nose
    assert np.allclose(points.face[0], body[14]) and np.allclose(points.face[1], body[15])
    assert np.allclose(points.face[2], body[0])


def test_turned_heads_hide_the_far_ear_and_face_their_side():
    size = (1024, 1024)
    straight = pose.pose_points(pose.PRESET_ANGLES["straight"], size).body
    left = pose.pose_points(pose.PRESET_ANGLES["three-quarter-left"], size).body
    right = pose.pose_points(pose.PRESET_ANGLES["three-quarter-right"], size).body
    assert not np.isnan(straight[16:18]).any()  # both ears when facing the camera
    # facing the left of the picture: the nose moves left, the (subject's) right ear hides
    assert left[0, 0] < straight[0, 0] and np.isnan(left[16]).all()
    assert not np.isnan(left[17]).any()
    assert right[0, 0] > straight[0, 0] and np.isnan(right[17]).all()
    # turned shoulders look narrower
    width = lambda b: b[5, 0] - b[2, 0]  # noqa: E731
    assert width(left) < width(straight)
    tilt = pose.pose_points(pose.PRESET_ANGLES["head-tilt"], size).body
    eyes = tilt[15] - tilt[14]
    assert math.degrees(math.atan2(eyes[1], eyes[0])) == pytest.approx(12, abs=0.5)


def test_sticks_grow_with_the_frame():
    small = np.asarray(pose.draw_pose(pose.pose_points(pose.PoseAngles(), (256, 256))))
    large = np.asarray(pose.draw_pose(pose.pose_points(pose.PoseAngles(), (1024, 1024))))
    share = lambda im: (im.sum(axis=2) > 0).mean()  # noqa: E731
    assert share(large) == pytest.approx(share(small), rel=0.35)


@pytest.mark.parametrize("angles", [(0, 0), (-30, 0), (25, 8), (-10, -15)])
def test_a_pose_read_back_from_its_face_keypoints(angles):
    """The photo path inverts the model: the face keypoints of a pose give its angles."""
    yaw, roll = angles
    points = pose.pose_points(pose.PoseAngles(yaw, roll, yaw / 2), (896, 1120))
    read = pose.angles_from_face(points.face)
    assert read.yaw == pytest.approx(yaw, abs=1.0)
    assert read.roll == pytest.approx(roll, abs=1.0)
    assert read.shoulders == pytest.approx(read.yaw / 2, abs=0.1)


def test_jitter_moves_the_whole_figure_the_same_per_seed():
    a = pose.pose_points(pose.PoseAngles(), (512, 512), jitter=pose.image_jitter(3, 1, True))
    b = pose.pose_points(pose.PoseAngles(), (512, 512), jitter=pose.image_jitter(3, 1, True))
    c = pose.pose_points(pose.PoseAngles(), (512, 512), jitter=pose.image_jitter(3, 2, True))
    assert np.array_equal(a.face, b.face) and not np.allclose(a.face, c.face)
    assert pose.image_jitter(3, 1, False) is None


def test_bad_poses_are_named(tmp_path, selfie_file):
    def request(p):
        return PackRequest(selfies=[selfie_file], pose=p, folder=tmp_path / "p")

    with pytest.raises(BadInput, match="Unknown pose 'sideways'.*three-quarter-left"):
        check_request(request("sideways"))
    with pytest.raises(BadInput, match="pose photo 'gone.jpg' does not exist"):
        check_request(request(tmp_path / "gone.jpg"))
    with pytest.raises(BadInput, match="preset name or a photo"):
        check_request(request(42))
    for fine in ("", "straight", Path(selfie_file)):
        check_request(request(fine))
    # text is always a preset key: a path given as text is not opened
    with pytest.raises(BadInput, match="Unknown pose"):
        check_request(request(str(selfie_file)))


def test_photo_pose_settings_from_the_face_analysis(hs_context, selfie_file, tmp_path):
    from studio.pipelines.headshots.identity import face_analysis

    analysis = face_analysis(hs_context, "antelopev2")
    recorded = pose.pose_settings(Path(selfie_file), analysis)
    assert recorded["pose_kind"] == "photo" and recorded["pose_name"] == "selfie.jpg"
    # the tiny detector's face is frontal and level
    assert recorded["pose_angles"] == pytest.approx([0, 0, 0], abs=1.0)
    assert pose.angles_of(recorded) == pose.PoseAngles(*recorded["pose_angles"])
    assert pose.pose_settings("head-tilt")["pose_angles"] == [0, 12, -8]
    assert pose.angles_of(pose.pose_settings("")) is None
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(BadInput, match="pose photo broken.jpg could not be read"):
        pose.pose_settings(broken, analysis)


def test_the_pose_net_is_streamed_when_the_plan_has_no_room_for_it():
    from studio.pipelines.headshots.pose_control import room_for_pose_net
    from studio.pipelines.memory_plan import MemoryPlan

    # 9.8 GiB of headshot models + 2.3 GiB pose net + a batch of 4's work fits 20 GiB ...
    assert room_for_pose_net(MemoryPlan("headshots.pack", "resident", 20.0, "24 GB card"))
    # ... but not the 10 GiB of a 12 GB card, even with the text encoders on demand
    lean = MemoryPlan("headshots.pack", "encoders_on_demand", 10.0, "12 GB card")
    assert not room_for_pose_net(lean)
    # one image at a time leaves room for it
    assert room_for_pose_net(
        MemoryPlan("headshots.pack", "encoders_on_demand", 12.0, "x", batch_cap=1)
    )
