"""SDXL + InstantID sampling for headshots: batched drafts, latent refine, VAE decodes.

Our own denoising loop (rather than a diffusers pipeline call per image) so that one batch
shares a single prompt encoding, every image keeps its own seed (a re-roll reproduces it),
the IdentityNet gets the face tokens while the UNet gets text + face tokens, and drafts are
decoded by the tiny VAE while only the shortlist pays for the full VAE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.models.loading import load_or_damaged
from studio.pipelines.context import RunContext
from studio.pipelines.headshots import instantid

BASE_ID = "realvisxl-v4-lightning"
INSTANTID_ID = "instantid"
TINY_VAE_ID = "taesdxl"


@dataclass
class HeadshotModels:
    pipe: Any  # StableDiffusionXLPipeline whose UNet carries the identity processors
    controlnet: Any
    resampler: Any
    tiny_vae: Any | None
    device: str
    dtype: Any
    placed: Any = None  # the memory plan's name the models were last placed for
    vae_tile: int = 0  # full-VAE decode tile side the plan asks for (0: untiled)


def load_models(
    ctx: RunContext,
    base_id: str = BASE_ID,
    instantid_id: str = INSTANTID_ID,
    tiny_vae_id: str = TINY_VAE_ID,
) -> HeadshotModels:
    """Base SDXL patched with InstantID, IdentityNet, Resampler and (if installed) TAESDXL,
    placed on the device as the job's memory plan says (:func:`place_models`)."""
    from studio.pipelines.memory_plan import plan_for

    base, iid = ctx.store.require_all(base_id, instantid_id)  # one message names both
    use_tiny = tiny_vae_id in ctx.store.catalogue and ctx.store.is_installed(tiny_vae_id)
    device, dtype = ctx.device, ctx.dtype
    plan = plan_for(ctx, "headshots.pack", "headshots.reroll")

    catalogue = ctx.store.catalogue

    def loader() -> HeadshotModels:
        from studio.pipelines.diffusion_loading import load_sdxl_pipeline, load_tiny_vae

        # Everything is loaded into system memory first: on an 8 GB card the UNet, the
        # IdentityNet and the encoders do not fit at once; place_models moves what the plan
        # keeps on the GPU. Each part through load_or_damaged: a damaged file names the
        # model to download again.
        pipe = load_or_damaged(base_id, lambda: load_sdxl_pipeline(base, "cpu", dtype), catalogue)
        resampler = load_or_damaged(
            instantid_id,
            lambda: instantid.apply_instantid(pipe.unet, iid, "cpu", dtype),
            catalogue,
        )
        controlnet = instantid.load_controlnet(iid, "cpu", dtype, instantid_id)
        tiny = None
        if use_tiny:
            folder = ctx.store.require(tiny_vae_id)
            tiny = load_or_damaged(
                tiny_vae_id, lambda: load_tiny_vae(folder, device, dtype), catalogue
            )
        # NCHW stays: on the H100 channels-last made the UNet + IdentityNet step 10% and the
        # full VAE decode 40% slower (scripts/bench_headshots.py --profile).
        models = HeadshotModels(pipe, controlnet, resampler.to(device), tiny, device, dtype)
        place_models(models, plan)
        return models

    # The UNet is patched, so this pipeline must not be shared under the base model's key.
    key = f"headshots:{base_id}+{instantid_id}+{use_tiny}:{device}"
    entry = ctx.store.catalogue.get(base_id)
    models: HeadshotModels = ctx.model(key, loader, entry.vram_bytes)
    place_models(models, plan)  # a warm model may have been placed for another plan
    return models


def place_models(models: HeadshotModels, plan: Any) -> None:
    """Put the models where ``plan`` (a :class:`~studio.pipelines.memory_plan.MemoryPlan`)
    says; cheap when nothing changed.

    - ``resident``: everything on the device;
    - ``encoders_on_demand``: the text encoders visit the GPU only for the prompt encoding
      (once per pack);
    - ``model_offload``: besides, the IdentityNet is streamed block by block each step (the
      next block copied while one computes), so UNet and IdentityNet need not fit together;
    - ``sequential_offload``: the UNet is streamed too.
    """
    from studio.pipelines.diffusion_loading import (
        on_demand,
        release_on_demand,
        stream_blocks,
        unstream,
    )

    device = models.device
    models.vae_tile = plan.vae_tile
    if models.placed == (plan.name, device):
        return
    # Our own loop calls the UNet and the IdentityNet directly, so diffusers' offload hooks
    # (which move a whole model per call) are not used: streamed blocks replace them.
    pipe, streamed = models.pipe, plan.name in ("model_offload", "sequential_offload")
    for encoder in (pipe.text_encoder, pipe.text_encoder_2):
        if encoder is None:
            continue
        if plan.offloads_encoders:
            on_demand(encoder, device)
        else:
            release_on_demand(encoder)
            encoder.to(device)
    pipe.vae.to(device)
    for module, stream in (
        (models.controlnet, plan.on_gpu and streamed),
        (pipe.unet, plan.on_gpu and plan.name == "sequential_offload"),
    ):
        if stream:
            stream_blocks(module, device)
        else:
            unstream(module)
            module.to(device)
    models.placed = (plan.name, device)


def channels_last(models: HeadshotModels) -> None:
    """NHWC weights for the convolutional models (an experiment: ``bench --channels-last``)."""
    import torch

    for m in (models.pipe.unet, models.controlnet, models.pipe.vae, models.tiny_vae):
        if m is not None:
            m.to(memory_format=torch.channels_last)


@dataclass
class TextConditioning:
    embeds: Any  # (2 or 1, 77, D): negative first when guided
    pooled: Any


def encode_text(
    models: HeadshotModels, prompt: str, negative: str, guided: bool
) -> TextConditioning:
    import torch

    with torch.no_grad():
        pos, neg, pooled, neg_pooled = models.pipe.encode_prompt(
            prompt=prompt,
            device=models.device,
            num_images_per_prompt=1,
            do_classifier_free_guidance=guided,
            negative_prompt=negative or None,
        )
    if guided:
        return TextConditioning(torch.cat([neg, pos]), torch.cat([neg_pooled, pooled]))
    return TextConditioning(pos, pooled)


def seed_noise(seeds: list[int], size: tuple[int, int], device: str, dtype: Any) -> Any:
    """Initial latents, one CPU generator per seed: the same seed gives the same image on any
    device and in any batch."""
    import torch

    w, h = size
    noise = [
        torch.randn((1, 4, h // 8, w // 8), generator=torch.Generator("cpu").manual_seed(int(s)))
        for s in seeds
    ]
    return torch.cat(noise).to(device=device, dtype=dtype)


def _halves(t: Any, batch: int, guided: bool) -> Any:
    """(2 or 1, ...) conditioning -> (2*batch or batch, ...), negatives first."""
    import torch

    if not guided:
        return t[:1].repeat_interleave(batch, dim=0)
    return torch.cat([t[:1].repeat_interleave(batch, 0), t[1:2].repeat_interleave(batch, 0)])


def kps_tensor(images: list[Any], device: str, dtype: Any) -> Any:
    """Keypoint images (PIL) -> (B, 3, H, W) in [0, 1], as ControlNets take them."""
    import torch

    arr = np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in images])
    return torch.from_numpy(arr).permute(0, 3, 1, 2).to(device=device, dtype=dtype)


def sample(
    models: HeadshotModels,
    ctx: RunContext,
    *,
    text: TextConditioning,
    tokens: Any,
    kps: Any,
    seeds: list[int],
    size: tuple[int, int],
    steps: int,
    guidance: float,
    control_scale: float,
    id_scale: float,
    start: Any = None,
    strength: float = 1.0,
    on_step: Callable[[int, int], None] | None = None,
    pose_net: Any = None,
    pose_cond: Any = None,
    pose_scale: float = 0.0,
) -> Any:
    """Denoise a batch; ``start`` latents + ``strength`` < 1 make it a refine (img2img) pass.

    ``tokens`` are the face tokens from :func:`instantid.face_tokens` (negatives first when
    guided); ``kps`` is the (B, 3, H, W) keypoint condition. With ``pose_net`` (an OpenPose
    ControlNet) and its (B, 3, H, W) ``pose_cond``, its residuals at ``pose_scale`` are added
    to IdentityNet's (the pose net reads the prompt, IdentityNet the face tokens).
    ``ctx.check()`` runs every step.
    """
    import torch

    pipe, batch = models.pipe, len(seeds)
    guided = guidance > 1.0
    scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config)
    scheduler.set_timesteps(steps, device=models.device)
    timesteps = scheduler.timesteps
    noise = seed_noise(seeds, size, models.device, models.dtype)
    if start is not None and strength < 1.0:
        keep = max(1, min(steps, round(steps * strength)))
        timesteps = timesteps[steps - keep :]
        if hasattr(scheduler, "set_begin_index"):
            scheduler.set_begin_index(steps - keep)
        latents = scheduler.add_noise(start.to(noise), noise, timesteps[:1].repeat(batch))
    else:
        latents = noise * scheduler.init_noise_sigma
    w, h = size
    text_embeds = _halves(text.embeds, batch, guided)
    face = _halves(tokens, batch, guided)
    added = {
        "text_embeds": _halves(text.pooled, batch, guided),
        "time_ids": torch.tensor(
            [[h, w, 0, 0, h, w]], device=models.device, dtype=models.dtype
        ).repeat(text_embeds.shape[0], 1),
    }
    cond = torch.cat([kps, kps]) if guided else kps
    use_pose = pose_net is not None and pose_cond is not None and pose_scale > 0
    if use_pose:
        pose_cond = torch.cat([pose_cond, pose_cond]) if guided else pose_cond
    unet_context = torch.cat([text_embeds, face], dim=1)
    instantid.set_identity_scale(pipe.unet, id_scale)
    for i, t in enumerate(timesteps):
        ctx.check()
        model_in = torch.cat([latents, latents]) if guided else latents
        model_in = scheduler.scale_model_input(model_in, t)
        with torch.no_grad():
            down, mid = models.controlnet(
                model_in,
                t,
                encoder_hidden_states=face,
                controlnet_cond=cond,
                conditioning_scale=control_scale,
                added_cond_kwargs=added,
                return_dict=False,
            )
            if use_pose:
                pose_down, pose_mid = pose_net(
                    model_in,
                    t,
                    encoder_hidden_states=text_embeds,
                    controlnet_cond=pose_cond,
                    conditioning_scale=pose_scale,
                    added_cond_kwargs=added,
                    return_dict=False,
                )
                down = [a + b for a, b in zip(down, pose_down, strict=True)]
                mid = mid + pose_mid
            pred = pipe.unet(
                model_in,
                t,
                encoder_hidden_states=unet_context,
                added_cond_kwargs=added,
                down_block_additional_residuals=down,
                mid_block_additional_residual=mid,
                return_dict=False,
            )[0]
        if guided:
            uncond, cond_pred = pred.chunk(2)
            pred = uncond + guidance * (cond_pred - uncond)
        latents = scheduler.step(pred, t, latents, return_dict=False)[0]
        if on_step is not None:
            on_step(i + 1, len(timesteps))
    return latents


def _to_uint8(images: Any) -> list[np.ndarray]:
    arr = ((images.float().clamp(-1, 1) + 1) * 127.5).round().byte()
    return list(arr.permute(0, 2, 3, 1).cpu().numpy())


def decode_tiny(models: HeadshotModels, latents: Any) -> list[np.ndarray]:
    """Fast preview decode (TAESDXL); falls back to the full VAE when it is not installed."""
    import torch

    if models.tiny_vae is None:
        return decode_full(models, latents)
    with torch.no_grad():
        return _to_uint8(models.tiny_vae.decode(latents.to(models.dtype)).sample)


def decode_full(models: HeadshotModels, latents: Any, low_memory: bool = False) -> list[np.ndarray]:
    """The full SDXL VAE, one image at a time (fp32 when the VAE asks for it: SDXL's
    original VAE overflows in fp16), tiled when the memory plan says so."""
    import torch

    from studio.pipelines.diffusion_loading import tile_vae

    vae = models.pipe.vae
    upcast = vae.dtype == torch.float16 and getattr(vae.config, "force_upcast", False)
    if upcast:
        vae.to(torch.float32)
    # The memory plan's tiles; low-memory mode (the old retry path) the smallest ones.
    tile = 256 if low_memory else models.vae_tile
    if tile:
        tile_vae(vae, tile)
    out: list[np.ndarray] = []
    try:
        for lat in latents:
            with torch.no_grad():
                image = vae.decode(lat[None].to(vae.dtype) / vae.config.scaling_factor).sample
            out += _to_uint8(image)
    finally:
        if upcast:
            vae.to(torch.float16)
        if tile:
            tile_vae(vae, 0)
    return out
