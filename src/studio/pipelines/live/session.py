"""The live frame loop, stepped one frame at a time (Qt-free).

:class:`LiveSession` owns the warm :class:`~studio.pipelines.live.engine.LiveEngine` (through the
run context's model cache), a similar-image filter and the latest output. The service (or the
CLI) calls :meth:`LiveSession.step` once per frame, so interactive jobs can run between frames.
:class:`LiveControls` is the thread-safe knob box the UI writes to; prompt, strength, seed and
filter changes apply to the next frame, model or size changes too (reloading / re-capturing).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Any

from studio.core.errors import BadInput
from studio.pipelines import prompt_filter
from studio.pipelines.context import RunContext
from studio.pipelines.live.frames import SimilarityFilter, to_device_frame, to_rgb_array

# The live stream has no safety checker: the one prompt filter refuses the obvious prompts.
DEFAULT_BLOCKED_TERMS = prompt_filter.BLOCKED_WORDS
MAX_SIDE = 2048


@dataclass(frozen=True)
class LiveSettings:
    """Everything one live frame depends on."""

    prompt: str = ""
    strength: float = 0.5  # img2img: 0 keeps the input, 1 ignores it
    seed: int = 0
    width: int = 512
    height: int = 512
    similarity_threshold: float = 0.98  # input frames at least this similar may be skipped
    max_skip: int = 10  # ...but at most this many in a row
    filter_enabled: bool = True  # off: every frame is rendered, however similar
    model_id: str = "sd-turbo"
    vae_id: str | None = "taesd"  # None: the model's own (slower, sharper) VAE
    optimise: str = "auto"  # auto | eager | cuda_graph | compile
    blocked_terms: tuple[str, ...] = DEFAULT_BLOCKED_TERMS
    # prompt travel: the text embedding moves ``travel`` (0..1) of the way to ``prompt_b``'s
    prompt_b: str = ""
    travel: float = 0.0
    seed_lock: bool = True  # off: fresh noise every frame (livelier, less stable)
    # models with guidance only (SD 1.5 + LCM-LoRA; see live.models.supports_guidance)
    negative_prompt: str = ""
    guidance: float = 1.0  # above 1 the negative prompt counts
    lcm_steps: int = 4


def validate(settings: LiveSettings) -> None:
    """:class:`BadInput` for settings a frame cannot be made with."""
    from studio.pipelines.live.engine import MODES
    from studio.pipelines.live.models import MAX_GUIDANCE, MAX_LCM_STEPS

    for name in ("width", "height"):
        value = getattr(settings, name)
        if not isinstance(value, int) or value % 8 or not 64 <= value <= MAX_SIDE:
            raise BadInput(
                f"The live frame {name} must be a multiple of 8 between 64 and {MAX_SIDE} "
                f"(got {value})."
            )
    if not 0.0 < settings.strength <= 1.0:
        raise BadInput(f"Strength must be above 0 and at most 1 (got {settings.strength}).")
    if not 0.0 <= settings.similarity_threshold <= 1.0:
        raise BadInput("The similarity threshold must be between 0 and 1.")
    if settings.max_skip < 0:
        raise BadInput("The maximum number of skipped frames cannot be negative.")
    if not 0.0 <= settings.travel <= 1.0:
        raise BadInput(f"Prompt travel must be between 0 and 1 (got {settings.travel}).")
    if not 0.0 <= settings.guidance <= MAX_GUIDANCE:
        raise BadInput(
            f"Guidance must be between 0 and {MAX_GUIDANCE:g} (got {settings.guidance})."
        )
    if not (isinstance(settings.lcm_steps, int) and 1 <= settings.lcm_steps <= MAX_LCM_STEPS):
        raise BadInput(f"Steps must be a whole number from 1 to {MAX_LCM_STEPS}.")
    if settings.optimise not in MODES:
        raise BadInput(f"Unknown optimisation '{settings.optimise}' (one of {', '.join(MODES)}).")
    for text in (settings.prompt, settings.prompt_b):
        prompt_filter.check_prompt(text, "Change the prompt to continue.", settings.blocked_terms)


def refused_term(prompt: str, blocked_terms: tuple[str, ...] = DEFAULT_BLOCKED_TERMS) -> str | None:
    """The first refused word ``prompt`` has (the UI checks as the user types)."""
    return prompt_filter.blocked_word(prompt, blocked_terms)


class LiveControls:
    """Thread-safe current settings: the UI updates, the frame loop reads a snapshot."""

    def __init__(self, settings: LiveSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = settings or LiveSettings()

    def get(self) -> LiveSettings:
        with self._lock:
            return self._settings

    def update(self, **changes: Any) -> LiveSettings:
        """Replace some fields (validated when the next frame uses them)."""
        with self._lock:
            self._settings = dataclasses.replace(self._settings, **changes)
            return self._settings


@dataclass
class LiveFrame:
    """One output frame. ``skipped``: the input barely changed, ``image`` is the last output."""

    image: Any  # uint8 numpy array, H x W x 3
    index: int
    skipped: bool
    latency_ms: float
    prompt: str
    mode: str  # "img2img" or "txt2img"
    optimisation: str


class LiveSession:
    """A frame loop over the warm models; :meth:`step` renders (or skips) one frame."""

    def __init__(self, ctx: RunContext, controls: LiveControls | LiveSettings | None = None):
        self.ctx = ctx
        if not isinstance(controls, LiveControls):
            controls = LiveControls(controls)
        self.controls = controls
        self.filter = SimilarityFilter()
        self.frames = 0
        self._last: LiveFrame | None = None
        self._last_key: tuple | None = None
        self._noise_key: tuple | None = None
        self._noise: Any = None

    def engine(self, settings: LiveSettings) -> Any:
        """The warm engine for the settings' models (loaded through the model cache)."""
        from studio.pipelines.live.models import live_model, vae_for

        ctx = self.ctx
        if settings.model_id not in ctx.store.catalogue:
            raise BadInput(f"Unknown live model '{settings.model_id}'.")
        entry = ctx.store.catalogue.get(settings.model_id)
        if entry.task != "live":
            raise BadInput(f"'{entry.name}' is not a live (one-step) model; pick SD-Turbo.")
        model = live_model(settings.model_id)
        vae_id = vae_for(model, settings.vae_id)
        needed = [settings.model_id] + ([model.lora] if model.lora else [])
        needed += [vae_id] if vae_id else []
        folders = ctx.store.require_all(*needed)  # one message naming every missing model
        sd_folder = folders[0]
        lora_folder = folders[1] if model.lora else None
        vae_folder = folders[-1] if vae_id else None
        key = f"live.engine:{settings.model_id}+{vae_id or 'vae'}:{ctx.device}"
        vram = entry.vram_bytes

        def load() -> Any:
            if model.family == "lcm":
                from studio.pipelines.live.engine_lcm import LCMEngine

                assert lora_folder is not None  # every LCM model names its LoRA

                return LCMEngine.load(sd_folder, lora_folder, vae_folder, ctx.device, ctx.dtype)
            if model.family == "sdxl-turbo":
                from studio.pipelines.live.engine_xl import SDXLTurboEngine

                return SDXLTurboEngine.load(sd_folder, vae_folder, ctx.device, ctx.dtype)
            from studio.pipelines.live.engine import LiveEngine

            return LiveEngine.load(sd_folder, vae_folder, ctx.device, ctx.dtype)

        return ctx.model(key, load, size_bytes=vram if ctx.is_cuda else 0)

    def step(self, frame: Any = None) -> LiveFrame:
        """Render the next frame from ``frame`` (img2img) or from noise (``None``: txt2img).

        ``frame`` may be a PIL image, an H x W x 3 (or x 4) uint8 array or a path; it is
        resized to the settings' size. With the filter on, a frame nearly identical to the
        last rendered input (same settings) returns the previous output, at most
        ``max_skip`` times in a row.
        """
        settings = self.controls.get()
        validate(settings)
        self.ctx.check()
        start = time.perf_counter()
        size = (settings.height, settings.width)
        rgb = None if frame is None else to_rgb_array(frame)
        mode = "txt2img" if rgb is None else "img2img"
        key = dataclasses.astuple(settings) + (mode,)
        self.filter.threshold, self.filter.max_skip = (
            settings.similarity_threshold,
            settings.max_skip,
        )
        if (
            settings.filter_enabled
            and self._last is not None
            and key == self._last_key
            and self.filter.should_skip(rgb)
        ):
            self.frames += 1
            skipped = dataclasses.replace(
                self._last,
                index=self.frames,
                skipped=True,
                latency_ms=(time.perf_counter() - start) * 1000,
            )
            return skipped

        engine = self.engine(settings)
        engine.set_low_memory(self.ctx.low_memory)
        self.ctx.check()
        embeds = self._embeds(engine, settings)
        # seed lock keeps the noise fixed (a steady picture); unlocked, every frame draws anew
        seed = settings.seed if settings.seed_lock else (settings.seed + self.frames + 1) % 2**63
        image = None if rgb is None else to_device_frame(rgb, size, self.ctx.device)
        if hasattr(engine, "generate"):  # multi-step with guidance (SD 1.5 + LCM-LoRA)
            negative = engine.prompt_embeds(settings.negative_prompt)
            out = engine.generate(
                image,
                embeds,
                negative if settings.guidance > 1 else None,
                strength=settings.strength,
                steps=settings.lcm_steps,
                guidance=settings.guidance,
                seed=seed,
                size=size,
            )
        else:
            out = self._one_step(engine, settings, image, embeds, seed, size)
        pixels = out.cpu().numpy()  # the one host sync per frame
        self.ctx.check()  # a cancel during the frame discards it
        self.filter.rendered(rgb)
        self.frames += 1
        self._last_key = key
        self._last = LiveFrame(
            image=pixels,
            index=self.frames,
            skipped=False,
            latency_ms=(time.perf_counter() - start) * 1000,
            prompt=settings.prompt,
            mode=mode,
            optimisation=engine.active_mode,
        )
        return self._last

    @staticmethod
    def _embeds(engine: Any, settings: LiveSettings) -> Any:
        from studio.pipelines.live.engine import mix_embeds

        embeds = engine.prompt_embeds(settings.prompt)
        if settings.travel > 0 and settings.prompt_b.strip():
            embeds = mix_embeds(embeds, engine.prompt_embeds(settings.prompt_b), settings.travel)
        return embeds

    def _one_step(
        self,
        engine: Any,
        settings: LiveSettings,
        image: Any,
        embeds: Any,
        seed: int,
        size: tuple[int, int],
    ) -> Any:
        from studio.pipelines.live.engine import timestep_for

        noise_key = (seed, size, settings.model_id, self.ctx.device)
        if noise_key != self._noise_key:
            self._noise, self._noise_key = engine.noise(seed, *size), noise_key
        coeffs = engine.coefficients(timestep_for(settings.strength, image is None))
        return engine.render(image, embeds, coeffs, self._noise, mode=settings.optimise)

    @property
    def last(self) -> LiveFrame | None:
        """The latest rendered frame (for "freeze frame" / send to canvas)."""
        return self._last
