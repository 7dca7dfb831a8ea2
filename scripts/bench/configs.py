"""Published architecture shapes (real size) and tiny ones for ``--smoke``, as plain dicts.

Real-size models built from these with random weights time exactly like the trained ones.
Each entry is ``{"real": ..., "tiny": ...}``; :mod:`scripts.bench.models` builds and installs them.
"""

from __future__ import annotations

from typing import Any

# SDXL base UNet (stabilityai/stable-diffusion-xl-base-1.0 unet/config.json); inpainting and
# InstantID use the same shape (inpainting with in_channels=9).
SDXL_UNET: dict[str, Any] = {
    "real": dict(
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
    ),
    "tiny": dict(
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
    ),
}
# The two SDXL text encoders (CLIP ViT-L and OpenCLIP bigG with its projection).
SDXL_TEXT: dict[str, Any] = {
    "real": (
        dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
             num_attention_heads=12, hidden_act="quick_gelu"),
        dict(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
             num_attention_heads=20, hidden_act="gelu", projection_dim=1280),
    ),
    "tiny": (
        dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
             hidden_act="gelu"),
        dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
             hidden_act="gelu", projection_dim=32),
    ),
}  # fmt: skip
# The SD/SDXL KL VAE (SDXL's config asks for fp32 decoding: force_upcast); sd-vae-ft-mse is
# the same shape with the SD scaling factor.
KL_VAE: dict[str, Any] = {
    "real": dict(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(128, 256, 512, 512),
        layers_per_block=2,
        latent_channels=4,
        sample_size=1024,
    ),
    "tiny": dict(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 16, 16, 16),
        layers_per_block=1,
        norm_num_groups=8,
        latent_channels=4,
    ),
}
# TAESD / TAESDXL: AutoencoderTiny's defaults are the published shape.
TAESD: dict[str, Any] = {
    "real": {},
    "tiny": dict(encoder_block_out_channels=(8,) * 4, decoder_block_out_channels=(8,) * 4),
}
# stabilityai/sd-turbo: an SD 2.1 UNet (768-wide OpenCLIP-H text, 1024-d cross-attention).
SD21_UNET: dict[str, Any] = {
    "real": dict(
        sample_size=64,
        in_channels=4,
        out_channels=4,
        layers_per_block=2,
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        block_out_channels=(320, 640, 1280, 1280),
        attention_head_dim=(5, 10, 20, 20),
        use_linear_projection=True,
        cross_attention_dim=1024,
    ),
    "tiny": dict(
        sample_size=64,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        block_out_channels=(32, 64),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        cross_attention_dim=32,
    ),
}
SD21_TEXT: dict[str, Any] = {
    "real": dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
                 num_attention_heads=16, hidden_act="gelu"),
    "tiny": dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                 num_attention_heads=4, hidden_act="gelu"),
}  # fmt: skip
# MuseTalk 1.5: an SD 1.5 UNet with 8 input channels (masked + reference latents) and
# whisper-tiny's 384-d features as cross-attention.
MUSETALK_UNET: dict[str, Any] = {
    "real": dict(
        sample_size=64,
        in_channels=8,
        out_channels=4,
        layers_per_block=2,
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        block_out_channels=(320, 640, 1280, 1280),
        attention_head_dim=8,
        cross_attention_dim=384,
    ),
    "tiny": dict(
        sample_size=32,
        in_channels=8,
        out_channels=4,
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(32, 64),
        attention_head_dim=8,
        cross_attention_dim=384,
    ),
}
# openai/whisper-tiny (only the encoder runs; the real model is small, so both sizes match
# except the feed-forward width).
WHISPER: dict[str, Any] = {
    "real": dict(encoder_ffn_dim=1536, decoder_ffn_dim=1536, decoder_layers=4),
    "tiny": dict(encoder_ffn_dim=64, decoder_ffn_dim=64, decoder_layers=1),
}
BISENET_BASE = {"real": 64, "tiny": 8}
# Real-ESRGAN x4plus RRDBNet: (features, growth, blocks).
RRDB = {"real": (64, 32, 23), "tiny": (8, 32, 1)}
# InstantID's Resampler (ip-adapter.bin image_proj) and IdentityNet conditioning widths.
RESAMPLER = {"real": dict(dim=1280, depth=4), "tiny": dict(dim=64, depth=1)}
CONTROLNET = {"real": {}, "tiny": dict(conditioning_embedding_out_channels=(8, 8, 16, 16))}
