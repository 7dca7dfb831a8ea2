"""The plain-library way to do each canvas job, as the libraries' own documentation shows.

Each builder loads the same installed weights with the library alone (no Studio code on the
compute path) and returns a function doing the same work as Studio's ``run()``: numpy image
in, numpy result out, on the same device, in the precision a plain user would pick.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _uint8(t: Any) -> np.ndarray:
    return (t[0].float().clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()


def _tensor(arr: np.ndarray, device: str, dtype: Any) -> Any:
    import torch

    a = arr if arr.ndim == 3 else arr[:, :, None]
    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].to(device, dtype) / 255


def sam(path: Path, device: str) -> Any:
    """segment-anything's ``SamPredictor`` over the fp32 model (its README's usage)."""
    from segment_anything import SamPredictor

    from studio.pipelines.canvas.segment import load_sam  # builds the plain Sam from the file

    return SamPredictor(load_sam(path, device))


def sam_click(predictor: Any, points: list, labels: list) -> np.ndarray:
    masks, scores, _ = predictor.predict(
        point_coords=np.array(points, np.float32),
        point_labels=np.array(labels),
        multimask_output=False,
    )
    return (masks[int(np.argmax(scores))] > 0).astype(np.uint8) * 255


def spandrel_model(path: Path, device: str, half: bool) -> Any:
    """spandrel's ``ModelLoader`` descriptor on ``device`` (fp16 when ``half`` and supported)."""
    from spandrel import ModelLoader

    desc = ModelLoader(device=device).load_from_file(path).eval()
    if half and desc.supports_half:
        desc.half()
    return desc


def lama(desc: Any, device: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The whole image and mask through LaMa in fp32 (spandrel: no fp16 support)."""
    import torch

    def run(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            m = (_tensor(mask, device, torch.float32) > 0.5).float()
            return _uint8(desc(_tensor(image, device, torch.float32), m))

    return run


def upscale(desc: Any, device: str) -> Callable[[np.ndarray], np.ndarray]:
    """One untiled call in the model's own dtype (fp16 where the descriptor was halved)."""
    import torch

    dtype = next(desc.model.parameters()).dtype

    def run(image: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return _uint8(desc(_tensor(image, device, dtype)))

    return run


def fill_pipeline(folder: Path, lora_folder: Path, device: str, dtype: Any) -> Any:
    """diffusers' ``StableDiffusionXLInpaintPipeline`` + LCM-LoRA fused + ``LCMScheduler``
    (diffusers' LCM-LoRA guide), every component on ``device``."""
    from diffusers import LCMScheduler, StableDiffusionXLInpaintPipeline

    variant = "fp16" if any(Path(folder, "unet").glob("*.fp16.*")) else None
    pipe = StableDiffusionXLInpaintPipeline.from_pretrained(
        folder, torch_dtype=dtype, variant=variant, local_files_only=True
    ).to(device)
    pipe.load_lora_weights(
        str(lora_folder), weight_name="pytorch_lora_weights.safetensors", local_files_only=True
    )
    pipe.fuse_lora()
    pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def use_vae(pipe: Any, folder: Path, device: str, dtype: Any) -> None:
    """Swap in another VAE (the fp16-fix one), as its model card shows."""
    from diffusers import AutoencoderKL

    pipe.vae = AutoencoderKL.from_pretrained(folder, torch_dtype=dtype, local_files_only=True).to(
        device
    )


def fill(pipe: Any, image: np.ndarray, mask: np.ndarray, prompt: str, steps: int) -> np.ndarray:
    """The pipeline call on the whole image (PIL in and out), strength 0.99, guidance 1."""
    import torch
    from PIL import Image

    side = image.shape[0]
    out = pipe(
        prompt=prompt,
        image=Image.fromarray(image),
        mask_image=Image.fromarray(mask),
        width=side,
        height=side,
        num_inference_steps=steps,
        strength=0.99,
        guidance_scale=1.0,
        generator=torch.Generator("cpu").manual_seed(1),
    ).images[0]
    return np.asarray(out)
