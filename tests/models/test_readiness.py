"""What each workspace can do on a card: table-driven over card sizes and small catalogues."""

from __future__ import annotations

import pytest

from studio.models.catalogue import Catalogue, ModelEntry, UrlFile, Workspace, load_catalogue
from studio.models.readiness import (
    HEADROOM,
    TOOLS,
    Fit,
    Tool,
    assess,
    tool_fit,
    workspace_fit,
    workspace_models,
)

GB = 10**9


def _entry(model_id: str, vram_gb: float) -> ModelEntry:
    url = UrlFile(url=f"http://x/{model_id}", filename="w.bin", sha256="0" * 64)
    return ModelEntry(
        model_id, model_id.upper(), "t", "MIT", True, 1, int(vram_gb * GB), urls=(url,)
    )


SMALL = Catalogue([_entry("a", 2), _entry("b", 3), _entry("c", 4)])


@pytest.mark.parametrize(
    ("steps", "card_gb", "fit"),
    [
        ((("a",),), None, Fit.CPU),
        ((("a",),), 0, Fit.CPU),
        ((("a", "b"),), 6, Fit.FULL),  # 5 GB <= 5.4 usable
        ((("a", "b"),), 5, Fit.TOO_SMALL),  # 5 GB > 4.5 usable, in one step
        ((("a",), ("b",)), 4, Fit.OFFLOAD),  # all 5 GB > 3.6 usable; largest step 3 fits
        ((("a",), ("b", "c")), 6, Fit.TOO_SMALL),  # step b+c = 7 GB > 5.4
        ((("a",), ("b", "c")), 8, Fit.OFFLOAD),  # all 9 > 7.2; step 7 <= 7.2
        ((("a",), ("b", "c")), 11, Fit.FULL),  # all 9 <= 9.9
        ((("a", "b"), ("b", "c")), 10.5, Fit.FULL),  # b counted once: 9 <= 9.45
    ],
)
def test_tool_fit(steps, card_gb, fit):
    card = None if card_gb is None else int(card_gb * GB)
    assert tool_fit(Tool("t", steps), SMALL, card).fit is fit


def test_a_model_shared_by_two_steps_is_counted_once():
    result = tool_fit(Tool("t", (("a", "b"), ("b", "c"))), SMALL, 10 * GB)
    assert (result.all_bytes, result.peak_bytes) == (9 * GB, 7 * GB)
    assert result.card_needed_bytes == int(7 * GB / HEADROOM)


REAL = load_catalogue()


@pytest.mark.parametrize(
    ("card_gb", "expected"),
    [
        (None, {"canvas": Fit.CPU, "headshots": Fit.CPU, "lipsync": Fit.CPU, "live": Fit.CPU}),
        (
            4,
            {
                "canvas": Fit.PARTLY,
                "headshots": Fit.TOO_SMALL,
                "lipsync": Fit.FULL,
                "live": Fit.FULL,
            },
        ),
        (
            8,
            {
                "canvas": Fit.PARTLY,
                "headshots": Fit.TOO_SMALL,
                "lipsync": Fit.FULL,
                "live": Fit.FULL,
            },
        ),
        (
            12,
            {"canvas": Fit.FULL, "headshots": Fit.TOO_SMALL, "lipsync": Fit.FULL, "live": Fit.FULL},
        ),
        (14, {"canvas": Fit.FULL, "headshots": Fit.OFFLOAD, "lipsync": Fit.FULL, "live": Fit.FULL}),
        (24, {"canvas": Fit.FULL, "headshots": Fit.FULL, "lipsync": Fit.FULL, "live": Fit.FULL}),
    ],
)
def test_real_catalogue_per_card(card_gb, expected):
    card = None if card_gb is None else card_gb * GB
    assert {w.workspace: w.fit for w in assess(REAL, card)} == expected


@pytest.mark.parametrize(
    ("card_gb", "workspace", "label", "detail"),
    [
        (None, "live", "Runs on the CPU, slowly", "Every tool works, but jobs take minutes"),
        (24, "live", "Runs fully", "All its models fit on the card together."),
        (
            8,
            "canvas",
            "Runs partly",
            "Fill needs a card with about 10.9 GB. Select, Remove, Upscale, Cut out, Select by "
            "words run fully.",
        ),
        (8, "headshots", "Card too small", "Pack needs a card with about 13.4 GB."),
        (14, "headshots", "Runs with offloading", "Pack swaps models on and off the card"),
    ],
)
def test_words_shown_per_workspace(card_gb, workspace, label, detail):
    fit = workspace_fit(workspace, REAL, None if card_gb is None else card_gb * GB)
    assert fit.label == label and fit.detail.startswith(detail)


def test_tools_table_matches_the_catalogue():
    """Every model a tool loads is in the catalogue, and covers its workspace's required ones
    (a new required model must be placed in a step, or the verdicts are too optimistic)."""
    assert set(TOOLS) == set(REAL.workspaces)
    for workspace, tools in TOOLS.items():
        used = {i for t in tools for step in t.steps for i in step}
        assert all(i in REAL for i in used), workspace
        assert set(REAL.workspaces[workspace].required) <= used, workspace
        assert set(used) <= set(REAL.workspaces[workspace].required) | set(
            REAL.workspaces[workspace].optional
        ), workspace


def test_workspace_name_comes_from_the_catalogue():
    catalogue = Catalogue(
        [_entry("sd-turbo", 3), _entry("taesd", 0.1)], [Workspace("live", "Live!")]
    )
    assert workspace_fit("live", catalogue, 8 * GB).name == "Live!"


@pytest.mark.parametrize(
    ("workspace", "models"),
    [
        (
            "canvas",
            [
                "sam-vit-b",
                "clipseg-rd64-refined",
                "lama-big",
                "realesrgan-x4plus",
                "sdxl-inpaint",
                "sdxl-vae-fp16-fix",
                "lcm-lora-sdxl",
                "rembg-u2net",
            ],
        ),
        (
            "headshots",
            ["realesrgan-x4plus", "realvisxl-v4-lightning", "instantid", "antelopev2", "taesdxl"],
        ),
        (
            "lipsync",
            ["antelopev2", "musetalk-v15", "sd-vae-ft-mse", "whisper-tiny", "face-parse-bisenet"],
        ),
        ("live", ["sd-turbo", "taesd"]),
    ],
)
def test_workspace_models_are_required_plus_default_tools(workspace, models):
    assert workspace_models(workspace, REAL) == models
