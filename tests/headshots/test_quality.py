"""Selfie validation and scoring on real photos with dlib's trained models."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines.headshots import quality


@pytest.fixture(scope="module")
def scorer() -> quality.FaceScorer:
    return quality.FaceScorer()


def _descriptor(scorer, rgb):
    face = scorer.largest(rgb)
    assert face is not None
    return scorer.descriptor(rgb, face)


def test_real_selfie_passes_with_aligned_crop(scorer, photos):
    check = quality.validate_selfie(scorer, photos["astronaut"], "astronaut.png")
    x1, y1, x2, y2 = check.face.box
    assert 150 < (x1 + x2) / 2 < 250 and 70 < (y1 + y2) / 2 < 180  # Eileen Collins' face
    assert check.chip.shape == (quality.CHIP_SIZE, quality.CHIP_SIZE, 3)
    assert check.descriptor.shape == (128,)
    assert check.sharpness > quality.MIN_SHARPNESS and check.brightness > quality.MIN_BRIGHTNESS


def test_several_faces_rejected(scorer, photos):
    with pytest.raises(BadInput, match="faces found in group.jpg"):
        quality.validate_selfie(scorer, photos["group"], "group.jpg")


def test_no_face_rejected(scorer, photos):
    with pytest.raises(BadInput, match="No face found"):
        quality.validate_selfie(scorer, photos["coffee"], "coffee.png")


def test_small_face_rejected(scorer, photos):
    # The astronaut in the corner of a large canvas: the face is found but far too small.
    canvas = np.full((800, 800, 3), 128, dtype=np.uint8)
    small = cv2.resize(photos["astronaut"], (400, 400), interpolation=cv2.INTER_AREA)
    canvas[:400, :400] = small  # face about 70 px wide
    with pytest.raises(BadInput, match="too small"):
        quality.validate_selfie(scorer, canvas, "far.jpg")


def test_blurred_selfie_rejected(scorer, photos):
    blurred = cv2.GaussianBlur(photos["astronaut"], (0, 0), 2.0)
    with pytest.raises(BadInput, match="blurred"):
        quality.validate_selfie(scorer, blurred, "shaky.jpg")


def test_dark_selfie_rejected(scorer, photos):
    dark = (photos["astronaut"].astype(np.float32) * 0.25).astype(np.uint8)
    with pytest.raises(BadInput, match="too dark"):
        quality.validate_selfie(scorer, dark, "night.jpg")


def test_same_person_scores_high_under_crops_flips_and_light(scorer, photos):
    for name in ("astronaut", "hanks"):
        rgb = photos[name]
        if name == "hanks":  # the 112 px aligned crop: upscale it like a phone would show it
            rgb = cv2.resize(rgb, (448, 448), interpolation=cv2.INTER_CUBIC)
        ref = _descriptor(scorer, rgb)
        h, w = rgb.shape[:2]
        variants = {
            "flip": rgb[:, ::-1],
            "crop": rgb[h // 20 :, : w - w // 10],
            "darker": (rgb * 0.6).astype(np.uint8),
            "brighter": np.clip(rgb.astype(np.int16) + 40, 0, 255).astype(np.uint8),
            "jpeg-ish blur": cv2.GaussianBlur(rgb, (0, 0), 0.8),
        }
        for label, img in variants.items():
            score = quality.identity_score(ref, _descriptor(scorer, np.ascontiguousarray(img)))
            assert score > 0.7, (name, label, score)


def test_different_people_score_low(scorer, photos):
    astro = _descriptor(scorer, photos["astronaut"])
    hanks = _descriptor(scorer, cv2.resize(photos["hanks"], (448, 448)))
    group = photos["group"]
    others = [scorer.descriptor(group, f) for f in scorer.detect(group)]
    assert len(others) >= 4
    for d in [hanks, *others]:
        assert quality.identity_score(astro, d) < quality.MIN_ID_SCORE
    for d in others:
        assert quality.identity_score(hanks, d) < quality.MIN_ID_SCORE


def test_mean_descriptor_of_same_person_stays_close(scorer, photos):
    rgb = photos["astronaut"]
    mean = quality.mean_descriptor([_descriptor(scorer, rgb), _descriptor(scorer, rgb[:, ::-1])])
    assert quality.identity_score(mean, _descriptor(scorer, rgb)) > 0.85


def test_tenengrad_orders_sharp_above_blurred(photos):
    rgb = photos["astronaut"]
    scores = [
        quality.tenengrad(cv2.GaussianBlur(rgb, (0, 0), s)) if s else quality.tenengrad(rgb)
        for s in (0, 1, 2, 4)
    ]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 3 * scores[2] and scores[0] > 8 * scores[3]


def test_ssim_identical_vs_different(photos):
    a, b = photos["astronaut"], photos["coffee"]
    assert quality.ssim(a, a) == pytest.approx(1.0)
    assert quality.ssim(a, (a * 0.97).astype(np.uint8)) > quality.DUPLICATE_SSIM
    assert quality.ssim(a, b) < 0.5
    assert quality.ssim(a, a[:, ::-1]) < 0.5
    assert quality.find_duplicates([a, b, a.copy(), a[:, ::-1]]) == [-1, -1, 0, -1]


def test_non_image_and_corrupt_files(tmp_path, photos):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    with pytest.raises(BadInput):
        quality.load_image(text)
    from PIL import Image

    good = tmp_path / "selfie.jpg"
    Image.fromarray(photos["astronaut"]).save(good, quality=95)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(BadInput):
        quality.load_image(broken)
    with pytest.raises(BadInput):
        quality.load_image(tmp_path / "missing.jpg")
    assert quality.load_image(good).shape == (512, 512, 3)
