"""An import-linter contract for parts of an external package (``PySide6.QtWidgets``).

import-linter's own ``forbidden`` contract only accepts whole external packages, but the
services may use ``PySide6.QtCore`` and must not use ``QtWidgets`` or ``QtGui``. This contract
reads the import lines of the source packages and of every module they import, directly or
not, and fails on any that names a forbidden submodule. Registered in ``pyproject.toml``
under ``[tool.importlinter] contract_types``; ``lint-imports`` runs from the repository root.
"""

from __future__ import annotations

import re
from typing import Any

from importlinter import Contract, ContractCheck, fields, output


def _patterns(name: str) -> list[re.Pattern[str]]:
    package, _, sub = name.rpartition(".")
    return [
        re.compile(rf"(^|[\s,]){re.escape(name)}\b"),  # import A.B / from A.B import x
        re.compile(rf"^from\s+{re.escape(package)}\s+import\s+.*\b{re.escape(sub)}\b"),
    ]


class ForbiddenSubmodulesContract(Contract):
    """``source_modules`` (packages) never import ``forbidden_modules`` (``pkg.sub`` names of
    external packages), directly or through other modules of the project."""

    type_name = "forbidden_submodules"

    source_modules = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        root = {name.split(".")[0] for name in self.source_modules}  # type: ignore[attr-defined]
        checked: set[str] = set()
        for source in self.source_modules:  # type: ignore[attr-defined]
            checked |= {source} | graph.find_descendants(source)
            checked |= graph.find_upstream_modules(source, as_package=True)
        checked = {m for m in checked if m.split(".")[0] in root}
        forbidden = {name: _patterns(name) for name in self.forbidden_modules}  # type: ignore[attr-defined]
        broken = []
        for importer in sorted(checked):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                top = imported.split(".")[0]
                if not any(name.split(".")[0] == top for name in forbidden):
                    continue
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    line = detail["line_contents"].strip()
                    for name, patterns in forbidden.items():
                        if any(p.search(line) for p in patterns):
                            broken.append((importer, detail["line_number"], name, line))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, line_number, name, line in check.metadata["broken"]:
            output.print_error(f"{importer}:{line_number} imports {name}: {line}")
            output.new_line()
