"""Alt+letter mnemonics of a dialog: every button and every labelled field has one, and no
letter is used twice."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget


def mnemonic(text: str) -> str | None:
    """The letter after a single '&' ("De&lete" -> "l"); None when there is none."""
    found = re.findall(r"&(.)", text.replace("&&", ""))
    return found[0].lower() if len(found) == 1 else None


def assert_unique_mnemonics(dialog: QWidget, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Check the visible buttons and buddied labels of ``dialog``; returns letter -> text."""
    texts = [b.text() for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
    texts += [lb.text() for lb in dialog.findChildren(QLabel) if lb.buddy() is not None]
    letters: dict[str, str] = {}
    for text in texts:
        if text in skip:
            continue
        letter = mnemonic(text)
        assert letter is not None, f"{text!r} has no Alt mnemonic"
        assert letter not in letters, f"{text!r} and {letters[letter]!r} share Alt+{letter}"
        letters[letter] = text
    return letters
