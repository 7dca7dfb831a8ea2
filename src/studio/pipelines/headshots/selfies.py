"""Check selfies without generating: the wizard's first step (job ``headshots.check``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput
from studio.pipelines.context import RunContext
from studio.pipelines.headshots import quality


@dataclass
class SelfieRequest:
    selfies: list[Any]  # paths, bytes or RGB arrays


@dataclass
class SelfieReport:
    name: str
    ok: bool
    message: str  # why it was rejected, or "" when accepted
    crop: Any = None  # aligned face crop (RGB array) when accepted
    sharpness: float = 0.0
    brightness: float = 0.0


@dataclass
class SelfieResult:
    reports: list[SelfieReport]
    same_person: bool  # every accepted pair scores above the identity threshold

    @property
    def accepted(self) -> int:
        return sum(r.ok for r in self.reports)


def run(request: SelfieRequest, ctx: RunContext) -> SelfieResult:
    """One report per selfie: accepted with its aligned crop, or rejected saying why."""
    scorer = ctx.model("headshots:dlib-scorer", quality.FaceScorer, 150_000_000)
    reports, descriptors = [], []
    total = len(request.selfies)
    for i, source in enumerate(request.selfies):
        ctx.check()
        name = Path(source).name if isinstance(source, (str, Path)) else f"selfie {i + 1}"
        try:
            check = quality.validate_selfie(scorer, quality.load_image(source), name)
        except BadInput as exc:
            reports.append(SelfieReport(name, False, exc.user_message))
        else:
            reports.append(
                SelfieReport(name, True, "", check.chip, check.sharpness, check.brightness)
            )
            descriptors.append(check.descriptor)
        ctx.progress("Checking selfies", i + 1, total)
    same = all(
        quality.identity_score(a, b) >= quality.MIN_ID_SCORE
        for i, a in enumerate(descriptors)
        for b in descriptors[i + 1 :]
    )
    return SelfieResult(reports, same)
