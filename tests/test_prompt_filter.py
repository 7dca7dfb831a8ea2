"""One prompt filter: whole words, one list, and Fill, Headshots and Live all refuse."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BadInput
from studio.pipelines import prompt_filter
from studio.pipelines.canvas.fill import FillRequest
from studio.pipelines.canvas.fill import run as run_fill
from studio.pipelines.headshots import styles
from studio.pipelines.live.jobs import LiveFrameRequest, run_frame
from studio.pipelines.live.session import LiveSettings, refused_term


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("a NUDE portrait", "NUDE"),
        ("nude_beach at dusk", "nude"),
        ("sexy, glossy photo", "sexy"),
        ("a pornographic scene", "pornographic"),
        ("two kids playing", "kids"),
        ("a teenager in a hoodie", "teenager"),
        ("make me the President.", "President"),
        ("blood on the floor", "blood"),
    ],
)
def test_refused_words_are_found_as_written(text, word):
    assert prompt_filter.blocked_word(text) == word


@pytest.mark.parametrize(
    "text",
    [
        "the Essex countryside",  # sex
        "a brass sextant on a desk",  # sex
        "a kidney bean salad",  # kid
        "the minority report, first-class ticket",  # minor
        "a bloodhound in the snow",  # blood
        "a gorgeous sunset, denuded hills",  # gore, nude
        "classic assessment of a passport",  # words inside words
        "",
    ],
)
def test_words_inside_other_words_are_allowed(text):
    assert prompt_filter.blocked_word(text) is None


def test_check_prompt_names_the_word_and_what_to_do():
    with pytest.raises(BadInput, match="'naked' is not allowed. Try another."):
        prompt_filter.check_prompt("naked", "Try another.")
    prompt_filter.check_prompt("navy suit, soft light")


def test_fill_refuses_before_loading_any_model(run_context):
    image = np.zeros((64, 64, 3), np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[10:20, 10:20] = 255
    # Nothing is installed: without the filter this would be ModelMissing.
    with pytest.raises(BadInput, match="content filter: 'topless'"):
        run_fill(FillRequest(image=image, mask=mask, prompt="a topless figure"), run_context)


def test_headshots_refuses_custom_prompts():
    with pytest.raises(BadInput, match="'lingerie' is not allowed"):
        styles.custom_style("studio photo in lingerie")
    with pytest.raises(BadInput, match="'celebrity' is not allowed"):
        styles.get_style("Corporate").render("like a celebrity")
    assert styles.custom_style("navy suit in Essex").prompt == "navy suit in Essex"


def test_live_refuses_frames_and_the_ui_check_matches(run_context):
    settings = LiveSettings(prompt="an erotic dance", width=64, height=64)
    with pytest.raises(BadInput, match="refused by the content filter: 'erotic'"):
        run_frame(LiveFrameRequest(settings), run_context)
    assert refused_term("an erotic dance", settings.blocked_terms) == "erotic"
    assert refused_term("a cat in Sussex") is None
