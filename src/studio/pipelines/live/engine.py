"""The one-step frame renderer behind the live workspace (sd-turbo + a tiny VAE).

A frame is: uint8 image -> VAE encode -> noise to timestep ``t`` -> one UNet call -> predicted
clean latents -> VAE decode -> uint8 image (txt2img starts from pure noise at ``t = 999``).
That is exactly one Euler step to sigma 0, written out so the whole frame is a fixed sequence
of tensor ops that can be captured as one CUDA graph: eager PyTorch spends most of a 512^2
frame on kernel launches, which a graph replay removes.

Optimisation modes: ``"eager"``, ``"cuda_graph"``, ``"compile"`` (torch.compile with its own
CUDA graphs) and ``"auto"`` (CUDA graph on CUDA, eager on the CPU). Any failure to capture or
compile falls back to eager, recorded in :attr:`LiveEngine.active_mode`.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MODES = ("auto", "eager", "cuda_graph", "compile")
_PROMPT_CACHE_SIZE = 32


def timestep_for(strength: float, txt2img: bool) -> int:
    """The single denoising timestep: strength 1.0 (or txt2img) starts from pure noise."""
    if txt2img:
        return 999
    return max(0, min(999, round(strength * 1000) - 1))


class LiveEngine:
    """Warm sd-turbo components plus per-size captured frames; one instance per model pair."""

    def __init__(
        self,
        unet: Any,
        text_encoder: Any,
        tokenizer: Any,
        vae: Any,
        alphas_cumprod: Any,
        prediction_type: str,
        device: str,
        dtype: Any,
    ) -> None:
        self.unet, self.text_encoder, self.tokenizer, self.vae = unet, text_encoder, tokenizer, vae
        self.alphas_cumprod = alphas_cumprod.double()  # coefficients computed in fp64, once
        self.prediction_type = prediction_type
        self.device, self.dtype = device, dtype
        self.scaling = float(getattr(vae.config, "scaling_factor", 1.0))
        self.latent_channels = int(unet.config.in_channels)
        self._prompts: OrderedDict[str, Any] = OrderedDict()
        self._frames: dict[tuple, Callable[..., Any]] = {}
        self.active_mode = "eager"
        self.tuned: list[str] | None = None
        self.low_memory = False
        self._full_attention: dict[str, Any] = {}

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, sd_folder: Path, vae_folder: Path | None, device: str, dtype: Any) -> LiveEngine:
        """Components of an installed SD model, with a TAESD-style tiny VAE when given."""
        from studio.pipelines.diffusion_loading import load_sd_pipeline, load_tiny_vae

        pipe = load_sd_pipeline(sd_folder, device, dtype)
        vae = load_tiny_vae(vae_folder, device, dtype) if vae_folder is not None else pipe.vae
        for module in (pipe.unet, pipe.text_encoder, vae):
            module.eval().requires_grad_(False)
        return cls(
            unet=pipe.unet,
            text_encoder=pipe.text_encoder,
            tokenizer=pipe.tokenizer,
            vae=vae,
            alphas_cumprod=pipe.scheduler.alphas_cumprod,
            prediction_type=pipe.scheduler.config.prediction_type,
            device=device,
            dtype=dtype,
        )

    def tune(self) -> list[str]:
        """CUDA-only layout tweaks (channels-last convs, fused QKV); returns what applied."""
        import torch

        applied: list[str] = []
        if not str(self.device).startswith("cuda"):
            return applied
        torch.backends.cudnn.benchmark = True  # fixed frame size: pick the fastest convs once
        for name, step in (
            (
                "channels_last",
                lambda: [m.to(memory_format=torch.channels_last) for m in (self.unet, self.vae)],
            ),
            ("fused_qkv", self.unet.fuse_qkv_projections),
        ):
            try:
                step()
                applied.append(name)
            except Exception as exc:  # noqa: BLE001 - an optional speed-up, never fatal
                log.info("live: %s not applied: %r", name, exc)
        return applied

    def set_low_memory(self, on: bool) -> None:
        """Low-memory mode (the service's retry after running out of GPU memory): attention
        computed in slices and no captured graphs, whose static buffers and private memory
        pool hold a second copy of every activation."""
        if on == self.low_memory:
            return
        if on:
            self._full_attention = dict(self.unet.attn_processors)
            self.unet.set_attention_slice("auto")  # half the heads at a time, per layer
        else:
            self.unet.set_attn_processor(self._full_attention)
        self._frames.clear()
        self.low_memory = on

    @property
    def components(self) -> dict[str, Any]:
        """The torch modules (the model cache sizes an engine by these)."""
        return {"unet": self.unet, "text_encoder": self.text_encoder, "vae": self.vae}

    # -- prompt ----------------------------------------------------------------------------
    def prompt_embeds(self, prompt: str) -> Any:
        """Text embeddings, cached per prompt so a steady prompt costs nothing per frame."""
        if prompt in self._prompts:
            self._prompts.move_to_end(prompt)
            return self._prompts[prompt]
        import torch

        ids = self.tokenizer(
            prompt,
            padding="max_length",
            max_length=self.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids.to(self.device)
        with torch.inference_mode():
            embeds = self.text_encoder(ids)[0].to(self.dtype)
        self._prompts[prompt] = embeds
        while len(self._prompts) > _PROMPT_CACHE_SIZE:
            self._prompts.popitem(last=False)
        return embeds

    def prompt_tokens_dropped(self, prompt: str) -> int:
        """How many tokens of ``prompt`` fall beyond the text encoder's window."""
        n = len(self.tokenizer(prompt, truncation=False).input_ids)
        return max(0, n - self.tokenizer.model_max_length)

    # -- one frame -------------------------------------------------------------------------
    def coefficients(self, timestep: int) -> Any:
        """[timestep, sqrt(alpha_bar), sqrt(1 - alpha_bar)] as one device tensor."""
        import torch

        a = self.alphas_cumprod[timestep]
        values = [float(timestep), float(a.sqrt()), float((1 - a).sqrt())]
        return torch.tensor(values, dtype=torch.float32, device=self.device)

    def noise(self, seed: int, height: int, width: int) -> Any:
        """The fixed per-seed latent noise (fixed noise keeps the stream temporally stable)."""
        import operator

        try:
            seed = operator.index(seed)  # ints and numpy ints; not floats or bools' cousins
        except TypeError:
            seed = -1
        if not 0 <= seed < 2**63:  # what torch generators take
            from studio.core.errors import BadInput

            raise BadInput(f"The seed must be a whole number from 0 to {2**63 - 1}.")
        import torch

        gen = torch.Generator("cpu").manual_seed(seed)
        shape = (1, self.latent_channels, height // 8, width // 8)
        return torch.randn(shape, generator=gen).to(self.device, self.dtype)

    def _render(self, image: Any, embeds: Any, coeffs: Any, noise: Any, pooled: Any = None) -> Any:
        """uint8 HWC (or None) -> uint8 HWC. Pure tensor ops: no host syncs, graph-safe."""
        import torch

        timestep, sqrt_a, sqrt_b = coeffs[0:1], coeffs[1].to(self.dtype), coeffs[2].to(self.dtype)
        if image is None:
            noisy = noise
        else:
            pixels = image.permute(2, 0, 1)[None].to(self.dtype) / 127.5 - 1.0
            latents = _encode(self.vae, pixels) * self.scaling
            noisy = sqrt_a * latents + sqrt_b * noise
        out = self._denoise(noisy, timestep, embeds, pooled)
        if self.prediction_type == "v_prediction":
            clean = sqrt_a * noisy - sqrt_b * out
        else:
            clean = (noisy - sqrt_b * out) / sqrt_a
        decoded = self.vae.decode(clean / self.scaling, return_dict=False)[0]
        pixels = ((decoded[0].float().clamp(-1, 1) + 1) * 127.5).round()
        return pixels.to(torch.uint8).permute(1, 2, 0)

    def _denoise(self, noisy: Any, timestep: Any, embeds: Any, pooled: Any) -> Any:
        """The UNet's noise prediction (SDXL adds its pooled text and size conditioning)."""
        return self.unet(noisy, timestep, encoder_hidden_states=embeds, return_dict=False)[0]

    def render(self, image: Any, embeds: Any, coeffs: Any, noise: Any, mode: str = "auto") -> Any:
        """One frame as a uint8 HxWx3 device tensor, via the optimised path when it works.

        ``embeds`` is what :meth:`prompt_embeds` returned (a tensor, or for SDXL a
        ``(hidden states, pooled)`` pair)."""
        import torch

        height, width = noise.shape[-2] * 8, noise.shape[-1] * 8
        pooled = None
        if isinstance(embeds, tuple):
            embeds, pooled = embeds
        key = (image is None, height, width, mode)
        frame = self._frames.get(key)
        args = (image, embeds, coeffs, noise, pooled)
        if frame is None:
            frame = self._build(mode, *args)
            self._frames[key] = frame
        with torch.inference_mode():
            return frame(*args)

    def _build(self, mode: str, *example: Any) -> Callable[..., Any]:
        if mode not in MODES:
            raise ValueError(f"unknown optimisation mode {mode!r} (one of {MODES})")
        is_cuda = str(self.device).startswith("cuda")
        if mode == "auto":
            mode = "cuda_graph" if is_cuda else "eager"
        if self.low_memory:
            mode = "eager"
        if mode == "eager" or not is_cuda:
            self.active_mode = "eager"
            return self._render
        if self.tuned is None:
            self.tuned = self.tune()
        try:
            frame = (
                _capture_graph(self._render, example)
                if mode == "cuda_graph"
                else _compiled(self._render, example)
            )
        except Exception as exc:  # noqa: BLE001 - any capture failure means: run eager
            log.warning("live: %s failed, running eager: %r", mode, exc)
            self.active_mode = f"eager ({mode} failed: {type(exc).__name__})"
            return self._render
        self.active_mode = mode
        return frame


def _encode(vae: Any, pixels: Any) -> Any:
    import torch

    out = vae.encode(pixels, return_dict=False)[0]
    # AutoencoderTiny returns latents; AutoencoderKL a distribution (its mean is the encoding).
    return out if torch.is_tensor(out) else out.mode()


def _capture_graph(fn: Callable[..., Any], example: tuple) -> Callable[..., Any]:
    """Record ``fn`` on static buffers once; each call copies inputs in and replays."""
    import torch

    static = [None if t is None else t.clone() for t in example]
    with torch.inference_mode():
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):  # warm-up: cuDNN/cuBLAS pick their kernels before capture
                fn(*static)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = fn(*static)

    def replay(*inputs: Any) -> Any:
        for buf, value in zip(static, inputs, strict=True):
            if buf is not None:
                buf.copy_(value)
        graph.replay()
        return static_out.clone()

    return replay


def configure_compile_cache(folder: Path | None = None) -> Path:
    """Keep torch.compile's caches (Inductor's FX graphs, AOTAutograd, Triton kernels) in
    Studio's cache folder, so the first compile on a machine (about 50 s for sd-turbo) is
    not paid again at each start. An explicit ``TORCHINDUCTOR_CACHE_DIR`` /
    ``TRITON_CACHE_DIR`` wins. Returns the Inductor cache folder."""
    import os

    if folder is None:
        from studio.core.paths import cache_dir

        folder = cache_dir() / "torch_compile"
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(folder / "inductor"))
    os.environ.setdefault("TRITON_CACHE_DIR", str(folder / "triton"))
    try:
        import torch._inductor.config as inductor_config

        inductor_config.fx_graph_cache = True
        import torch._functorch.config as functorch_config

        if hasattr(functorch_config, "enable_autograd_cache"):
            functorch_config.enable_autograd_cache = True
    except Exception as exc:  # noqa: BLE001 - older torch: compiling still works, uncached
        log.info("live: compile caches not configured: %r", exc)
    return Path(os.environ["TORCHINDUCTOR_CACHE_DIR"])


def _compiled(fn: Callable[..., Any], example: tuple) -> Callable[..., Any]:
    import torch

    configure_compile_cache()
    compiled = torch.compile(fn, mode="reduce-overhead", fullgraph=False)
    with torch.inference_mode():
        for _ in range(3):  # compile and record now, not on the user's first frame
            compiled(*example)

    def call(*inputs: Any) -> Any:
        return compiled(*inputs).clone()

    return call


def mix_embeds(a: Any, b: Any, weight: float) -> Any:
    """Prompt travel: ``a`` moved ``weight`` (0..1) of the way to ``b`` (tensors, or pairs
    of tensors for SDXL's hidden states and pooled embedding)."""
    import torch

    if weight <= 0:
        return a
    if isinstance(a, tuple):
        return tuple(torch.lerp(x, y, weight) for x, y in zip(a, b, strict=True))
    return torch.lerp(a, b, weight)
