"""What the benchmark scripts share: published architecture shapes (real size and tiny smoke),
a Real-ESRGAN state dict in its published key layout, and a device sync for timing.

Real-size models built from these with random weights time exactly like the trained ones.
"""

from typing import Any


def sync(device: str) -> None:
    """Wait for queued GPU work, so wall-clock timings measure it."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def rrdb_state(nf: int, gc: int, blocks: int) -> dict[str, Any]:
    """Random RRDBNet weights keyed like ``RealESRGAN_x4plus.pth``'s ``params_ema``."""
    import torch

    sd: dict[str, Any] = {}

    def conv(name: str, cout: int, cin: int) -> None:
        sd[f"{name}.weight"] = torch.randn(cout, cin, 3, 3) * 0.02
        sd[f"{name}.bias"] = torch.zeros(cout)

    conv("conv_first", nf, 3)
    for b in range(blocks):
        for r in (1, 2, 3):
            for i in range(1, 5):
                conv(f"body.{b}.rdb{r}.conv{i}", gc, nf + (i - 1) * gc)
            conv(f"body.{b}.rdb{r}.conv5", nf, nf + 4 * gc)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        conv(name, nf, nf)
    conv("conv_last", 3, nf)
    return sd


# SDXL base UNet (stabilityai/stable-diffusion-xl-base-1.0 unet/config.json); inpainting
# variants take in_channels=9.
SDXL_UNET = dict(
    sample_size=128,
    in_channels=4,
    out_channels=4,
    layers_per_block=2,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    block_out_channels=(320, 640, 1280),
    attention_head_dim=(5, 10, 20),
    transformer_layers_per_block=(1, 2, 10),
    use_linear_projection=True,
    addition_embed_type="text_time",
    addition_time_embed_dim=256,
    projection_class_embeddings_input_dim=2816,
    cross_attention_dim=2048,
)
TINY_SDXL_UNET = dict(
    sample_size=16,
    in_channels=4,
    out_channels=4,
    layers_per_block=1,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    block_out_channels=(32, 64),
    attention_head_dim=(2, 4),
    transformer_layers_per_block=(1, 2),
    use_linear_projection=True,
    addition_embed_type="text_time",
    addition_time_embed_dim=8,
    projection_class_embeddings_input_dim=6 * 8 + 32,
    cross_attention_dim=64,
)
# SDXL VAE (its config asks for fp32 decoding: force_upcast).
SDXL_VAE = dict(
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2,
    latent_channels=4,
    sample_size=1024,
    scaling_factor=0.13025,
    force_upcast=True,
)
TINY_SDXL_VAE = dict(
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(8, 16, 16, 16),
    layers_per_block=1,
    norm_num_groups=8,
    latent_channels=4,
    scaling_factor=0.13025,
)
