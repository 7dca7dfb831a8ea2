"""The models Live can run, and what each supports (the UI builds its model menu from this).

- ``sd-turbo``: one step, no guidance (SD 2.1 distilled); TAESD.
- ``sdxl-turbo``: one step, no guidance, best at 512-768 pixels; TAESDXL. Non-commercial licence.
- ``sd-v1-5``: SD 1.5 with the LCM-LoRA, 2-4 steps, guidance (so a negative prompt); TAESD.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.errors import BadInput


@dataclass(frozen=True)
class LiveModel:
    """What the live controls may offer for one model."""

    id: str
    family: str  # "turbo" (SD 2.x one-step), "sdxl-turbo" (one-step SDXL), "lcm" (SD 1.5 + LoRA)
    tiny_vae: str  # the TAESD-family VAE that matches its latents
    lora: str | None = None  # installed with the model (LCM-LoRA)
    guidance: bool = False  # takes guidance, and so a negative prompt
    steps: tuple[int, int] = (1, 1)  # the steps a frame may take (min, max)
    sizes: tuple[int, int] = (256, 1024)  # the frame sides it is good at (min, max)


LIVE_MODELS: dict[str, LiveModel] = {
    m.id: m
    for m in (
        LiveModel("sd-turbo", "turbo", "taesd", sizes=(256, 768)),
        LiveModel("sdxl-turbo", "sdxl-turbo", "taesdxl", sizes=(512, 768)),
        LiveModel(
            "sd-v1-5",
            "lcm",
            "taesd",
            lora="lcm-lora-sdv1-5",
            guidance=True,
            steps=(2, 4),
            sizes=(256, 768),
        ),
    )
}
MAX_LCM_STEPS = 8
MAX_GUIDANCE = 10.0


def live_model(model_id: str) -> LiveModel:
    """The :class:`LiveModel` for ``model_id``, or :class:`BadInput` naming the choices."""
    try:
        return LIVE_MODELS[model_id]
    except KeyError:
        raise BadInput(
            f"'{model_id}' is not a live model; pick one of {', '.join(LIVE_MODELS)}."
        ) from None


def supports_guidance(model_id: str) -> bool:
    """Whether the model uses guidance and a negative prompt (the UI greys them out if not)."""
    return model_id in LIVE_MODELS and LIVE_MODELS[model_id].guidance


def vae_for(model: LiveModel, vae_id: str | None) -> str | None:
    """The VAE to load: ``None`` keeps the model's own; the default tiny VAE (``"taesd"``)
    becomes the one whose latents match the model (TAESDXL for SDXL); another explicit
    choice is honoured."""
    if vae_id == "taesd":
        return model.tiny_vae
    return vae_id
