"""Live's ``apply_settings`` (the gallery's "Use These Settings Again", or a frame exported
by Live dropped on the window): the saved frame's prompt, negative prompt, model, seed,
strength, steps, guidance and the rest go back into the controls, which pass them on to
the stream (see :mod:`studio.ui.shell.workspace_actions`)."""

from __future__ import annotations

from typing import Any

from studio.pipelines.live.models import LIVE_MODELS
from studio.pipelines.prompt_filter import blocked_word
from studio.ui.workspaces.live.panel import SIZES

KNOWN = ("prompt", "model_id", "seed", "strength", "negative_prompt", "lcm_steps", "guidance")


def usable(settings: dict[str, Any]) -> bool:
    """Whether Live can take ``settings``: its own (or unnamed), with something it knows,
    a live model, and prompts the content filter accepts."""
    if settings.get("workspace") not in (None, "live"):
        return False
    if not any(settings.get(key) is not None for key in KNOWN):
        return False
    if settings.get("model_id") is not None and settings["model_id"] not in LIVE_MODELS:
        return False
    try:
        strength = float(settings.get("strength", 0.5))
        int(settings.get("seed", 0))
    except (TypeError, ValueError):
        return False
    if not 0.0 < strength <= 1.0:
        return False
    prompts = (settings.get("prompt"), settings.get("prompt_b"))
    return not any(isinstance(p, str) and blocked_word(p) for p in prompts)


class LiveSettingsReuse:
    """Mixed into :class:`LiveWorkspace` (``panel``, ``_models_changed``)."""

    panel: Any

    def apply_settings(self, settings: dict[str, Any]) -> bool:
        """Show ``settings`` in the controls (a running stream takes them at its next
        frame); False, changing nothing, when they are not Live's or cannot be used."""
        if not usable(settings):
            return False
        panel = self.panel
        if settings.get("model_id") is not None:
            panel.model.setCurrentIndex(panel.model.findData(settings["model_id"]))
        if "vae_id" in settings:
            for i in range(panel.vae.count()):
                if panel.vae.itemData(i) == settings["vae_id"]:
                    panel.vae.setCurrentIndex(i)
        self._models_changed()
        if settings.get("prompt") is not None:
            panel.prompt.setText(str(settings["prompt"]))
        if settings.get("seed") is not None:
            panel.seed.setValue(int(settings["seed"]) % (2**31))
        if settings.get("strength") is not None:
            panel.strength.setValue(round(float(settings["strength"]) * 100))
        width, height = settings.get("width"), settings.get("height")
        if width == height and width in SIZES:
            panel.frame_size.setCurrentIndex(SIZES.index(width))
        if settings.get("optimise") is not None:
            index = panel.speed.findData(settings["optimise"])
            panel.speed.setCurrentIndex(index if index >= 0 else panel.speed.currentIndex())
        panel.more.apply(settings)
        panel.error.clear()
        return True
