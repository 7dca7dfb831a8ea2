"""The one prompt filter: Fill, Headshots and Live refuse the same words, matched the same way.

The models' licences (Stability AI's acceptable use policy, CreativeML OpenRAIL) forbid sexual
content, content involving minors, gore, and impersonating real people; none of these
pipelines runs a safety checker on its output, so the obvious requests are refused before
they reach a model.

Matching is by whole word, case-insensitive: ``"sex"`` is refused but ``"Essex"`` and
``"sextant"`` are not, ``"kid"`` but not ``"kidney"``. A word ending in ``*`` also covers what
follows it (``porn*``: "porn", "pornographic").
"""

from __future__ import annotations

import re
from functools import cache

from studio.core.errors import BadInput

BLOCKED_WORDS: tuple[str, ...] = (
    # sexual content
    "nsfw",
    "nude",
    "nudes",
    "nudity",
    "naked",
    "sex",
    "sexy",
    "sexual",
    "porn*",
    "erotic*",
    "lingerie",
    "topless",
    "undress*",
    # minors
    "child",
    "children",
    "kid",
    "kids",
    "minor",
    "minors",
    "teen",
    "teens",
    "teenage*",
    "underage",
    "schoolgirl*",
    # gore
    "blood",
    "bloody",
    "gore",
    "gory",
    # impersonation
    "celebrity",
    "celebrities",
    "president",
)


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words if w]
    # Letters or digits on either side make it another word; underscores and punctuation do not.
    return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + r")(?![^\W_])", re.IGNORECASE)


def blocked_word(text: str, words: tuple[str, ...] = BLOCKED_WORDS) -> str | None:
    """The first refused word in ``text`` as written there, or ``None`` (the UI checks as
    the user types)."""
    if not text or not any(words):
        return None
    match = _pattern(tuple(words)).search(text)
    return match.group(0) if match else None


def check_prompt(
    text: str, hint: str = "Change the prompt to continue.", words: tuple[str, ...] = BLOCKED_WORDS
) -> None:
    """:class:`BadInput` naming the refused word when ``text`` has one; ``hint`` says what to
    do instead."""
    word = blocked_word(text, words)
    if word is not None:
        raise BadInput(
            f"This prompt was refused by the content filter: '{word}' is not allowed. {hint}"
        )
