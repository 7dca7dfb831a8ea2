"""What each job kind holds on the GPU and adds while it runs: the table memory plans are
fitted from (Qt-free). Weights are the real models' fp16 sizes (GiB); activations are peaks
measured with ``scripts/bench_vram.py`` on the benchmark GPU under memory caps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class JobNeeds:
    """What one job kind keeps on the GPU and adds while it runs (GiB).

    ``weights``: every model it holds, resident (fp16 unless the pipeline keeps fp32).
    ``encoders``: those used once per job, on the GPU only while used.
    ``streamed``: those that ``model_offload`` streams block by block (the rest stay);
    empty means whole-model offload: only the largest model (plus the small ones) at a time.
    ``work`` + ``per_item`` x (batch - 1): activations of the main stage.
    ``decode``: peaks of the VAE decode stage untiled, in 512 px and in 256 px tiles;
    ``upscale``: (untiled, tiled) peaks of the upscaler stage.
    """

    title: str
    weights: Mapping[str, float] = field(default_factory=dict)
    encoders: tuple[str, ...] = ()
    streamed: tuple[str, ...] = ()
    work: float = 0.3
    per_item: float = 0.0
    batch: int = 1
    decode: tuple[float, float, float] = (0.0, 0.0, 0.0)
    upscale: tuple[float, float] = (0.0, 0.0)
    encoder_label: str = "text encoders"
    streamed_label: str = ""
    offload: bool = True  # False: offloading cannot lower the peak (one model, tiny parts)
    slicing: bool = False  # a diffusers pipeline whose attention can be sliced as a last resort

    @property
    def total(self) -> float:
        return sum(self.weights.values())


# Real model sizes (fp16 unless noted; parameters x bytes, in GiB).
SDXL_UNET = 4.78  # 2.57 B parameters
SDXL_TEXT_ENCODERS = 1.53  # CLIP ViT-L 123 M + OpenCLIP bigG 695 M
SDXL_VAE_FP32 = 0.31  # 84 M; SDXL's VAE decodes in fp32 (force_upcast)
IDENTITYNET = 2.33  # InstantID's ControlNet, 1.25 B
POSE_CONTROLNET = 2.33  # xinsir's OpenPose ControlNet for SDXL, the same architecture
INSTANTID_ADAPTER = 0.78  # Resampler + face cross-attention (to_k_ip/to_v_ip) weights
SAM_VIT_H_FP32 = 2.37  # 636 M, kept in fp32 (autocast computes in fp16)
SAM_VIT_B_FP32 = 0.35  # 91 M
LAMA_FP32 = 0.19  # 51 M
ESRGAN = 0.03  # RRDBNet x4plus, 16.7 M
SD_TURBO_UNET = 1.61  # 865 M
SD_TURBO_TEXT = 0.66  # OpenCLIP ViT-H text tower, 354 M
MUSETALK_UNET = 1.6  # SD 1.5-shaped UNet
WHISPER_TINY = 0.07
SD_VAE = 0.16

_SDXL_DECODE = (5.0, 1.3, 0.5)  # 1024^2 fp32 decode: untiled (measured), 512 / 256 px tiles
_ESRGAN_4K = (4.6, 0.45)  # 1024 -> 4096 x4, untiled / 256 px tiles

NEEDS: dict[str, JobNeeds] = {
    "canvas.fill": JobNeeds(
        "Fill",
        {"unet": SDXL_UNET, "text_encoders": SDXL_TEXT_ENCODERS, "vae": SDXL_VAE_FP32},
        encoders=("text_encoders",),
        work=1.4,
        per_item=0.6,
        decode=_SDXL_DECODE,
        slicing=True,
    ),
    "canvas.segment": JobNeeds(
        "Select (SAM ViT-H)",
        {"image_encoder": SAM_VIT_H_FP32, "decoder": 0.02},
        work=1.75,  # measured peak 4.1 GiB
        streamed=("image_encoder",),
        streamed_label="the image encoder",
    ),
    "canvas.remove": JobNeeds("Remove", {"lama": LAMA_FP32}, work=2.4, offload=False),
    "canvas.upscale": JobNeeds(
        "Upscale", {"esrgan": ESRGAN}, work=0.1, upscale=_ESRGAN_4K, offload=False
    ),
    "canvas.cutout": JobNeeds("Cut out", {"u2net": 0.17}, work=0.4, offload=False),
    "headshots.pack": JobNeeds(
        "Headshot pack",
        {
            "unet": SDXL_UNET,
            "identitynet": IDENTITYNET,
            "adapter": INSTANTID_ADAPTER,
            "text_encoders": SDXL_TEXT_ENCODERS,
            "vae": SDXL_VAE_FP32,
            "tiny_vae": 0.01,
            "upscaler": ESRGAN,
        },
        encoders=("text_encoders",),
        streamed=("identitynet",),
        streamed_label="IdentityNet",
        # A pack with a pose adds POSE_CONTROLNET beside IdentityNet: not in the table (most
        # packs have none); pose_control.place streams it when the plan has no room for it.
        # Measured (H200, 8 and 12 GiB caps): 10.8 GiB peak for batches of 4 with 8.2 GiB
        # held; batches of 3 with 5.9 GiB held ran out of an 8 GiB cap.
        work=0.5,
        per_item=0.7,
        batch=4,
        decode=_SDXL_DECODE,
        upscale=_ESRGAN_4K,
    ),
    "lipsync.render": JobNeeds(
        "Lip sync",
        {"unet": MUSETALK_UNET, "vae": SD_VAE, "whisper": WHISPER_TINY, "parsing": 0.1},
        encoders=("whisper",),
        encoder_label="the audio encoder",
        work=3.2,  # measured peak 5.5 GB (5.1 GiB) at a 6 GB cap (issue 11)
        offload=False,
    ),
    "lipsync.prepare_avatar": JobNeeds(
        "Avatar", {"vae": SD_VAE, "parsing": 0.1}, work=1.0, offload=False
    ),
    "live.frame": JobNeeds(
        "Live frame",
        {"unet": SD_TURBO_UNET, "text_encoder": SD_TURBO_TEXT, "taesd": 0.01},
        encoders=("text_encoder",),
        work=0.6,
    ),
}
NEEDS["headshots.reroll"] = replace(NEEDS["headshots.pack"], title="Re-roll", batch=1)
NEEDS["live.stream"] = replace(NEEDS["live.frame"], title="Live")
NEEDS["lipsync.talk"] = replace(NEEDS["lipsync.render"], title="Talk live")
NEEDS["headshots.check"] = JobNeeds("Selfie check", {}, work=0.2, offload=False)
_DEFAULT_NEEDS = JobNeeds("Job", {}, work=0.5, offload=False)


def needs_for(kind: str) -> JobNeeds:
    """The table row for ``kind`` (a small default for kinds the table does not list)."""
    return NEEDS.get(kind, _DEFAULT_NEEDS)
