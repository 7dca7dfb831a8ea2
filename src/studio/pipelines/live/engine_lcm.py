"""Live frames from an SD 1.5 model with the LCM-LoRA: 2-4 steps, guidance, negative prompt.

The LoRA is fused into the UNet once at load (no LoRA layers left to run per frame) and the
scheduler replaced by the LCM one. Frames run through diffusers' own SD pipelines (txt2img
and img2img sharing the same modules); img2img asks for ``ceil(steps / strength)`` steps so
that the ``steps`` the user chose are the ones actually run.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

from studio.pipelines.live.engine import _PROMPT_CACHE_SIZE


class LCMEngine:
    """Warm SD 1.5 + LCM-LoRA pipelines (txt2img and img2img over the same modules)."""

    active_mode = "eager (diffusers)"

    def __init__(self, txt2img: Any, device: str, dtype: Any) -> None:
        from diffusers import StableDiffusionImg2ImgPipeline

        self.txt2img = txt2img
        img2img: Any = StableDiffusionImg2ImgPipeline(**txt2img.components)
        img2img.set_progress_bar_config(disable=True)
        self.img2img = img2img
        self.device, self.dtype = device, dtype
        self.low_memory = False
        self._prompts: OrderedDict[str, Any] = OrderedDict()

    @classmethod
    def load(
        cls, sd_folder: Path, lora_folder: Path, vae_folder: Path | None, device: str, dtype: Any
    ) -> LCMEngine:
        """The SD 1.5 model with the LCM-LoRA fused in (and TAESD when ``vae_folder``)."""
        from diffusers import LCMScheduler, StableDiffusionPipeline

        from studio.pipelines.diffusion_loading import load_lora, load_sd_pipeline, load_tiny_vae

        pipe = load_sd_pipeline(sd_folder, device, dtype)
        load_lora(pipe, lora_folder, adapter_name="lcm")
        pipe.fuse_lora(lora_scale=1.0)
        pipe.unload_lora_weights()  # the fused weights stay; the LoRA layers go
        parts = dict(pipe.components)
        parts["scheduler"] = LCMScheduler.from_config(pipe.scheduler.config)
        if vae_folder is not None:
            parts["vae"] = load_tiny_vae(vae_folder, device, dtype)
        parts.update(safety_checker=None, requires_safety_checker=False)
        txt2img: Any = StableDiffusionPipeline(**parts)
        txt2img.set_progress_bar_config(disable=True)
        for module in (txt2img.unet, txt2img.text_encoder, txt2img.vae):
            module.eval().requires_grad_(False)
        return cls(txt2img, device, dtype)

    @property
    def components(self) -> dict[str, Any]:
        p = self.txt2img
        return {"unet": p.unet, "text_encoder": p.text_encoder, "vae": p.vae}

    def set_low_memory(self, on: bool) -> None:
        """Sliced attention in low-memory mode (the service's retry after running out)."""
        if on != self.low_memory:
            self.txt2img.unet.set_attention_slice("auto" if on else None)
            self.low_memory = on

    def prompt_embeds(self, prompt: str) -> Any:
        """The text embeddings of ``prompt`` (cached per prompt)."""
        if prompt in self._prompts:
            self._prompts.move_to_end(prompt)
            return self._prompts[prompt]
        import torch

        with torch.inference_mode():
            embeds, _ = self.txt2img.encode_prompt(prompt, self.device, 1, False)
        self._prompts[prompt] = embeds
        while len(self._prompts) > _PROMPT_CACHE_SIZE:
            self._prompts.popitem(last=False)
        return embeds

    def generate(
        self,
        image: Any,
        embeds: Any,
        negative: Any,
        *,
        strength: float,
        steps: int,
        guidance: float,
        seed: int,
        size: tuple[int, int],
    ) -> Any:
        """One frame as a uint8 H x W x 3 device tensor; ``image`` (uint8 H x W x 3 on the
        device, at ``size``) or ``None`` for txt2img. ``negative`` counts when guidance > 1."""
        import torch

        common = dict(
            prompt_embeds=embeds,
            negative_prompt_embeds=negative,
            guidance_scale=guidance,
            generator=torch.Generator("cpu").manual_seed(seed),
            output_type="pt",
        )
        with torch.inference_mode():
            if image is None:
                height, width = size
                out = self.txt2img(
                    height=height, width=width, num_inference_steps=steps, **common
                ).images
            else:
                pixels = image.permute(2, 0, 1)[None].to(self.dtype) / 255.0
                out = self.img2img(
                    image=pixels,
                    strength=strength,
                    num_inference_steps=max(steps, math.ceil(steps / strength)),
                    **common,
                ).images
            pixels = (out[0].float().clamp(0, 1) * 255).round()
            return pixels.to(torch.uint8).permute(1, 2, 0)
