"""Whether each workspace may be used for commercial work, from its models' licences.

A workspace is only as free as the strictest model it needs: Headshots needs InstantID, whose
checkpoints are for research only, so Headshots as a whole is non-commercial. The catalogue
ships one file per workspace; a file may name the models its workspace requires and those it
can do without (``"workspace": {"required": [...], "optional": [...]}``), otherwise every model
in the file counts as required.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from studio.models.catalogue import Catalogue


@dataclass(frozen=True)
class WorkspaceLicence:
    name: str  # "Headshots"
    commercial_use: bool  # every required model allows it
    restricted_by: tuple[str, ...]  # names of required models that do not
    optional_restricted: tuple[str, ...]  # optional models that do not (avoid them to sell)

    def summary(self) -> str:
        """One line for the Models dialog."""
        if not self.commercial_use:
            return f"{self.name}: non-commercial only, because of {_join(self.restricted_by)}"
        text = f"{self.name}: commercial use allowed"
        if self.optional_restricted:
            text += f" (without {_join(self.optional_restricted)})"
        return text


def workspace_licences(catalogue: Catalogue) -> list[WorkspaceLicence]:
    """One entry per catalogue file (workspace), in file-name order."""
    folder = resources.files("studio.models").joinpath("catalogue")
    licences = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        data = json.loads(item.read_text("utf-8"))
        stem = item.name.removesuffix(".json")
        workspace = data.get("workspace") or {}
        in_file = [m["id"] for m in data["models"]]
        required = list(workspace.get("required", in_file))
        optional = [i for i in workspace.get("optional", []) if i not in required]
        licences.append(
            WorkspaceLicence(
                name=workspace.get("name") or stem.title(),
                commercial_use=all(_allows(catalogue, i) for i in required),
                restricted_by=_names(catalogue, required),
                optional_restricted=_names(catalogue, optional),
            )
        )
    return licences


def _allows(catalogue: Catalogue, model_id: str) -> bool:
    return model_id not in catalogue or catalogue.get(model_id).commercial_use


def _names(catalogue: Catalogue, ids: list[str]) -> tuple[str, ...]:
    return tuple(catalogue.get(i).name for i in ids if not _allows(catalogue, i))


def _join(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
