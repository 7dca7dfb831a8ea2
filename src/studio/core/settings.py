"""User settings shared by the GUI and the CLI, stored as JSON in the config dir."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from studio.core import paths

log = logging.getLogger(__name__)

# The window's look (studio.ui.widgets.theme): "system" follows the desktop's colour scheme.
THEME_NAMES = ("dark", "light", "system")
DEFAULT_THEME = "dark"


@dataclass
class Settings:
    device: str = "auto"  # "auto", "cuda", "cuda:1", "cpu"
    vram_budget_gb: float = 0.0  # 0 means "80% of the card's memory"
    models_dir: str = ""  # empty means the default (platformdirs or STUDIO_MODELS_DIR)
    # The welcome dialog was seen (closed with "Later" or "Download selected"); a settings
    # file written before this field existed loads with the default, so it is shown once.
    welcomed: bool = False
    # How jobs use the card's memory: "auto" (from the card) or a plan name from
    # studio.pipelines.memory_plan.PLANS, the leanest allowed being what is asked for.
    memory_plan: str = "auto"
    # Where jobs run: "local" (this computer) or "server" (a `studio serve` at server_url).
    compute: str = "local"
    server_url: str = ""
    server_token: str = ""
    theme: str = DEFAULT_THEME  # one of THEME_NAMES (View > Theme)

    @property
    def uses_server(self) -> bool:
        """Jobs run on a Studio server (Settings -> Compute)."""
        return self.compute == "server" and bool(self.server_url.strip())

    def resolved_models_dir(self) -> Path:
        return Path(self.models_dir) if self.models_dir else paths.default_models_dir()

    @staticmethod
    def path() -> Path:
        return paths.config_dir() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        path = cls.path()
        if not path.is_file():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s); using defaults", path, exc)
            return cls()
        if not isinstance(raw, dict):
            log.warning("settings file %s is not a JSON object; using defaults", path)
            return cls()
        names = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in raw.items() if k in names})
        if settings.theme not in THEME_NAMES:  # hand-edited, or from a newer version
            log.warning("unknown theme %r in %s; using %s", settings.theme, path, DEFAULT_THEME)
            settings.theme = DEFAULT_THEME
        return settings

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        tmp.replace(path)
