"""The one-step frame renderer for SDXL-Turbo: the sd-turbo frame with SDXL's conditioning.

SDXL's UNet takes the two text encoders' penultimate hidden states side by side, plus the
second encoder's pooled embedding and six size numbers ("time ids": original size, crop
corner, target size). The size numbers are made once per frame size, before any CUDA graph
is captured (a host-to-device copy cannot happen inside a capture).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from studio.pipelines.live.engine import _PROMPT_CACHE_SIZE, LiveEngine


class SDXLTurboEngine(LiveEngine):
    """Warm SDXL-Turbo components; ``prompt_embeds`` returns ``(hidden states, pooled)``."""

    def __init__(self, *args: Any, text_encoder_2: Any, tokenizer_2: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.text_encoder_2, self.tokenizer_2 = text_encoder_2, tokenizer_2
        self._time_ids: dict[tuple[int, int], Any] = {}
        self._prompts_xl: OrderedDict[str, tuple[Any, Any]] = OrderedDict()

    @classmethod
    def load(
        cls, sd_folder: Path, vae_folder: Path | None, device: str, dtype: Any
    ) -> SDXLTurboEngine:
        """Components of an installed SDXL-Turbo, with TAESDXL when ``vae_folder`` is given."""
        from studio.pipelines.diffusion_loading import load_sdxl_pipeline, load_tiny_vae

        extra = {}
        if vae_folder is not None:  # the folder's own VAE is then never loaded
            extra["vae"] = load_tiny_vae(vae_folder, device, dtype)
        pipe = load_sdxl_pipeline(sd_folder, device, dtype, **extra)
        for module in (pipe.unet, pipe.text_encoder, pipe.text_encoder_2, pipe.vae):
            module.eval().requires_grad_(False)
        return cls(
            pipe.unet,
            pipe.text_encoder,
            pipe.tokenizer,
            pipe.vae,
            pipe.scheduler.alphas_cumprod,
            pipe.scheduler.config.prediction_type,
            device,
            dtype,
            text_encoder_2=pipe.text_encoder_2,
            tokenizer_2=pipe.tokenizer_2,
        )

    @property
    def components(self) -> dict[str, Any]:
        return {**super().components, "text_encoder_2": self.text_encoder_2}

    def prompt_embeds(self, prompt: str) -> Any:
        """``(hidden states, pooled)`` for ``prompt``, cached like the SD ones."""
        if prompt in self._prompts_xl:
            self._prompts_xl.move_to_end(prompt)
            return self._prompts_xl[prompt]
        import torch

        hidden = []
        out: Any = None
        with torch.inference_mode():
            for tokenizer, encoder in (
                (self.tokenizer, self.text_encoder),
                (self.tokenizer_2, self.text_encoder_2),
            ):
                ids = tokenizer(
                    prompt,
                    padding="max_length",
                    max_length=tokenizer.model_max_length,
                    truncation=True,
                    return_tensors="pt",
                ).input_ids.to(self.device)
                out = encoder(ids, output_hidden_states=True)
                hidden.append(out.hidden_states[-2])  # SDXL reads the penultimate layer
            embeds = (torch.cat(hidden, dim=-1).to(self.dtype), out.text_embeds.to(self.dtype))
        self._prompts_xl[prompt] = embeds
        while len(self._prompts_xl) > _PROMPT_CACHE_SIZE:
            self._prompts_xl.popitem(last=False)
        return embeds

    def render(self, image: Any, embeds: Any, coeffs: Any, noise: Any, mode: str = "auto") -> Any:
        import torch

        size = (noise.shape[-2] * 8, noise.shape[-1] * 8)
        if size not in self._time_ids:
            h, w = size
            self._time_ids[size] = torch.tensor(
                [[h, w, 0, 0, h, w]], dtype=self.dtype, device=self.device
            )
        return super().render(image, embeds, coeffs, noise, mode)

    def _denoise(self, noisy: Any, timestep: Any, embeds: Any, pooled: Any) -> Any:
        time_ids = self._time_ids[(noisy.shape[-2] * 8, noisy.shape[-1] * 8)]
        return self.unet(
            noisy,
            timestep,
            encoder_hidden_states=embeds,
            added_cond_kwargs={"text_embeds": pooled, "time_ids": time_ids},
            return_dict=False,
        )[0]
