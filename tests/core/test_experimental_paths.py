"""Unmeasured GPU speed paths stay off unless the environment names them."""

from __future__ import annotations

import pytest

from studio.core.device import EXPERIMENTAL_PATHS, experimental_enabled


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", set()),
        ("lama-bf16", {"lama-bf16"}),
        (" fill-cuda-graphs , lama-bf16", set(EXPERIMENTAL_PATHS)),
        ("all", set(EXPERIMENTAL_PATHS)),
        ("nonsense", set()),
    ],
)
def test_paths_named_in_the_environment_are_on(monkeypatch, value, expected):
    monkeypatch.setenv("STUDIO_EXPERIMENTAL", value)
    assert {p for p in EXPERIMENTAL_PATHS if experimental_enabled(p)} == expected


def test_off_by_default(monkeypatch):
    monkeypatch.delenv("STUDIO_EXPERIMENTAL", raising=False)
    assert not any(experimental_enabled(p) for p in EXPERIMENTAL_PATHS)
