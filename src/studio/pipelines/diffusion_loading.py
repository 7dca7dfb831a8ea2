"""Load installed diffusers models (Stable Diffusion, SDXL, tiny VAEs) from the model store.

Shared by every workspace. All loads are local (``local_files_only=True``) from a folder that
``ModelStore.require`` returned; the fp16 variant is used when the folder holds fp16 files
(``*.fp16.safetensors``, as the catalogue lists for the published repos).

- ``load_sd_pipeline(folder, device, dtype, cls_name="StableDiffusionPipeline")``: an SD 1.x/2.x
  pipeline (``cls_name`` may name any diffusers SD pipeline class, e.g. the img2img one).
- ``load_sdxl_pipeline(folder, device, dtype, inpaint=False, cls_name=None)``: SDXL (text to
  image, or ``StableDiffusionXLInpaintPipeline`` with ``inpaint=True``).
- ``load_tiny_vae(folder, device, dtype)``: an ``AutoencoderTiny`` (TAESD / TAESDXL).
- ``load_lora(pipe, folder, adapter_name)``: a LoRA (e.g. LCM-LoRA) from a folder holding
  ``pytorch_lora_weights.safetensors``.
- ``apply_plan(pipe, plan, device)``: place a pipeline's components as a
  :class:`~studio.pipelines.memory_plan.MemoryPlan` says (resident, encoders on demand, model or
  sequential CPU offload; VAE tiling, attention slicing), undoing the previous placement.
  ``on_demand`` (a module on the GPU only while it runs) and ``stream_blocks`` (block-by-block
  streaming) serve pipelines with their own loops (headshots, SAM).

Errors a user can act on (a folder that is not a loadable model) become :class:`BadInput`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput
from studio.pipelines.memory_plan import MemoryPlan

_LORA_FILE = "pytorch_lora_weights.safetensors"


def fp16_variant(folder: Path) -> str | None:
    """``"fp16"`` when the model folder holds fp16 variant weights, else ``None``."""
    folder = Path(folder)
    for sub in ("unet", "transformer", "."):
        if any((folder / sub).glob("*.fp16.safetensors")):
            return "fp16"
    return None


def _load(
    cls_name: str,
    folder: Path,
    device: str,
    dtype: Any,
    plan: MemoryPlan | None = None,
    **kwargs: Any,
) -> Any:
    import diffusers

    cls = getattr(diffusers, cls_name, None)
    if cls is None:
        raise ValueError(f"unknown diffusers class {cls_name!r}")
    folder = Path(folder)
    if not (folder / "model_index.json").is_file():
        raise BadInput(
            f"The folder {folder} does not hold a diffusers model (no model_index.json).",
        )
    try:
        pipe = cls.from_pretrained(
            folder,
            torch_dtype=dtype,
            variant=fp16_variant(folder),
            local_files_only=True,
            **kwargs,
        )
    except (OSError, ValueError) as exc:
        raise BadInput(
            f"The model in {folder} could not be loaded; it may be incomplete. "
            "Delete and download it again.",
            detail=repr(exc),
        ) from exc
    pipe.set_progress_bar_config(disable=True)
    if plan is None:
        pipe.to(device)
    else:  # loaded into system memory; only what the plan keeps goes to the GPU
        apply_plan(pipe, plan, device)
    return pipe


def load_sd_pipeline(
    folder: Path, device: str, dtype: Any, cls_name: str = "StableDiffusionPipeline"
) -> Any:
    """An SD 1.x/2.x pipeline of class ``cls_name`` from an installed model folder."""
    extra: dict[str, Any] = {}
    if cls_name.startswith("StableDiffusion") and "XL" not in cls_name:
        extra = {"safety_checker": None, "requires_safety_checker": False}
    return _load(cls_name, folder, device, dtype, None, **extra)


def load_sdxl_pipeline(
    folder: Path,
    device: str,
    dtype: Any,
    inpaint: bool = False,
    cls_name: str | None = None,
    plan: MemoryPlan | None = None,
    **components: Any,
) -> Any:
    """An SDXL pipeline (``StableDiffusionXLInpaintPipeline`` when ``inpaint``); ``components``
    (e.g. ``vae=``) replace the folder's own, which are then not loaded at all. With ``plan``
    the components are placed as :func:`apply_plan` says (instead of all on ``device``)."""
    if cls_name is None:
        cls_name = "StableDiffusionXLInpaintPipeline" if inpaint else "StableDiffusionXLPipeline"
    return _load(cls_name, folder, device, dtype, plan, **components)


def load_tiny_vae(folder: Path, device: str, dtype: Any) -> Any:
    """A TAESD-family ``AutoencoderTiny`` from its installed folder."""
    from diffusers import AutoencoderTiny

    folder = Path(folder)
    try:
        vae = AutoencoderTiny.from_pretrained(folder, torch_dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise BadInput(
            f"The tiny VAE in {folder} could not be loaded; download it again.", detail=repr(exc)
        ) from exc
    return vae.to(device).eval()


def load_lora(pipe: Any, folder: Path, adapter_name: str = "lora") -> Any:
    """Load ``pytorch_lora_weights.safetensors`` from ``folder`` into ``pipe`` (needs peft)."""
    folder = Path(folder)
    if not (folder / _LORA_FILE).is_file():
        raise BadInput(f"No {_LORA_FILE} in {folder}.")
    pipe.load_lora_weights(
        str(folder), weight_name=_LORA_FILE, adapter_name=adapter_name, local_files_only=True
    )
    return pipe


# Components a diffusers pipeline runs once per call (before denoising): under
# ``encoders_on_demand`` they live in system memory and visit the GPU only while they run.
ENCODER_COMPONENTS = ("text_encoder", "text_encoder_2", "image_encoder")


@dataclass(frozen=True)
class Placement:
    """Where :func:`apply_plan` puts a pipeline's torch components.

    ``on_device``: moved to the device; ``on_demand``: kept in system memory and moved to the
    device only while they run (:func:`on_demand`); ``offload``: ``"model"`` or
    ``"sequential"`` for diffusers' CPU offload of the whole pipeline (CUDA only).
    """

    on_device: tuple[str, ...]
    on_demand: tuple[str, ...] = ()
    offload: str = ""
    gpu_id: int = 0


def _modules(pipe: Any) -> list[str]:
    import torch

    return [n for n, m in pipe.components.items() if isinstance(m, torch.nn.Module)]


def placement(pipe: Any, plan: MemoryPlan, device: str) -> Placement:
    """Where ``plan`` puts ``pipe``'s components on ``device``. Off CUDA everything stays on
    ``device``: there is no smaller memory to offload from."""
    names = _modules(pipe)
    if not device.startswith("cuda") or plan.name == "resident":
        return Placement(tuple(names))
    index = int(device.split(":")[1]) if ":" in device else 0
    if plan.name == "encoders_on_demand":
        demand = tuple(n for n in names if n in ENCODER_COMPONENTS)
        return Placement(tuple(n for n in names if n not in demand), demand, "", index)
    offload = "model" if plan.name == "model_offload" else "sequential"
    return Placement((), (), offload, index)


@cache
def _on_demand_hook() -> type:
    """The accelerate hook class behind :func:`on_demand` (defined on first use)."""
    from accelerate.hooks import ModelHook
    from accelerate.utils import send_to_device

    class OnDemandHook(ModelHook):
        """Weights in (pinned) system memory, on ``execution_device`` only during
        ``forward``. An accelerate hook, so diffusers sends the inputs to that device
        (``get_module_execution_device``) and ``remove_all_hooks`` undoes it. The weights
        never change, so leaving the GPU costs no copy."""

        def __init__(self, device: str) -> None:
            self.execution_device = device
            self.tensors: list[tuple[Any, Any]] = []

        def init_hook(self, module: Any) -> Any:
            import torch

            pin = self.execution_device.startswith("cuda") and torch.cuda.is_available()
            tensors = list(module.parameters()) + list(module.buffers())
            self.tensors = [(t, _host_copy(t.data, pin)) for t in tensors]
            self.unload()
            return module

        def pre_forward(self, module: Any, *args: Any, **kwargs: Any) -> Any:
            for tensor, host in self.tensors:
                tensor.data = host.to(self.execution_device, non_blocking=True)
            device = self.execution_device
            return send_to_device(args, device), send_to_device(kwargs, device)

        def post_forward(self, module: Any, output: Any) -> Any:
            self.unload()
            return output

        def detach_hook(self, module: Any) -> Any:
            self.unload()
            return module

        def unload(self) -> None:
            for tensor, host in self.tensors:
                tensor.data = host

    return OnDemandHook


def _host_copy(data: Any, pin: bool) -> Any:
    host = data.to("cpu")
    return host.pin_memory() if pin else host


def is_on_demand(module: Any) -> bool:
    return isinstance(getattr(module, "_hf_hook", None), _on_demand_hook())


def on_demand(module: Any, device: str) -> None:
    """Keep ``module`` in system memory and on ``device`` only while its ``forward`` runs
    (text encoders run once per job: they need not hold GPU memory while the UNet loops)."""
    from accelerate.hooks import add_hook_to_module, remove_hook_from_module

    hook: Any = getattr(module, "_hf_hook", None)
    if is_on_demand(module) and hook.execution_device == device:
        return
    if hook is not None:
        remove_hook_from_module(module)
    add_hook_to_module(module, _on_demand_hook()(device))


def release_on_demand(module: Any) -> None:
    """Back to a plain module (its weights in system memory)."""
    from accelerate.hooks import remove_hook_from_module

    if is_on_demand(module):
        remove_hook_from_module(module)


def stream_blocks(module: Any, device: str, leaf: bool = False) -> None:
    """Stream ``module``'s weights to ``device`` block by block (``leaf``: layer by layer) as
    it runs, the next block copied while the current one computes (CUDA streams)."""
    import torch
    from diffusers.hooks import apply_group_offloading

    if getattr(module, "_studio_streamed", None) == (device, leaf):
        return
    unstream(module)
    cuda = device.startswith("cuda")
    module.to("cpu")
    apply_group_offloading(
        module,
        onload_device=torch.device(device),
        offload_device=torch.device("cpu"),
        offload_type="leaf_level" if leaf else "block_level",
        num_blocks_per_group=None if leaf else 1,
        use_stream=cuda,
        non_blocking=cuda,
    )
    module._studio_streamed = (device, leaf)


def unstream(module: Any) -> None:
    """Undo :func:`stream_blocks` (weights back in system memory, whole)."""
    if getattr(module, "_studio_streamed", None) is None:
        return
    from diffusers.hooks import HookRegistry

    registry = HookRegistry.check_if_exists_or_initialize(module)
    for name in ("group_offloading", "layer_execution_tracker", "lazy_prefetch_group_offloading"):
        registry.remove_hook(name, recurse=True)
    module.to("cpu")
    module._studio_streamed = None


def tile_vae(vae: Any, tile: int) -> None:
    """Tiled encode/decode for an ``AutoencoderKL`` in ``tile`` px tiles (0: off; a quarter
    of each tile overlaps and is blended): the 1024^2 fp32 SDXL decode drops from about 5 GiB
    to about 1.3 GiB (512) or 0.5 GiB (256). diffusers' own tile is ``sample_size`` (1024
    for SDXL), so without this a 1024 image is not tiled at all."""
    if tile:
        if hasattr(vae, "tile_sample_min_size"):
            blocks = len(vae.config.block_out_channels) - 1
            vae.tile_sample_min_size = tile
            vae.tile_latent_min_size = tile // 2**blocks
        vae.enable_tiling()
    else:
        vae.disable_tiling()


def release_placement(pipe: Any) -> None:
    """Undo :func:`apply_plan` (weights back in plain modules; where they last were), e.g.
    before fusing a LoRA, which sequential offload's meta-device weights do not allow."""
    if getattr(pipe, "_studio_placement", None) is not None:
        _release(pipe)
        pipe._studio_placement = None


def _release(pipe: Any) -> None:
    """Undo any earlier placement: accelerate offload hooks and on-demand modules."""
    if getattr(pipe, "_all_hooks", None) or any(
        hasattr(m, "_hf_hook") for m in pipe.components.values()
    ):
        pipe.remove_all_hooks()
    for name in _modules(pipe):
        release_on_demand(getattr(pipe, name))


def apply_plan(pipe: Any, plan: MemoryPlan, device: str) -> Placement:
    """Place ``pipe`` for ``plan`` on ``device``; cheap when nothing changed since last time.

    - ``resident``: ``pipe.to(device)``;
    - ``encoders_on_demand``: text/image encoders :func:`on_demand`, the rest on the device;
    - ``model_offload`` / ``sequential_offload``: diffusers' ``enable_model_cpu_offload`` /
      ``enable_sequential_cpu_offload`` with the device's ``gpu_id``;
    - VAE tiling and attention slicing as the plan's flags say.
    Off CUDA the pipeline simply lives on ``device`` (see :func:`placement`).
    """
    place = placement(pipe, plan, device)
    if getattr(pipe, "_studio_placement", None) != (place, device):
        _release(pipe)
        if place.offload == "model":
            pipe.enable_model_cpu_offload(gpu_id=place.gpu_id)
        elif place.offload == "sequential":
            pipe.enable_sequential_cpu_offload(gpu_id=place.gpu_id)
        else:
            for name in place.on_device:
                getattr(pipe, name).to(device)
            for name in place.on_demand:
                on_demand(getattr(pipe, name), device)
        pipe._studio_placement = (place, device)
    flags = (plan.vae_tile, plan.attention_slicing)
    if getattr(pipe, "_studio_plan_flags", None) != flags:
        # Walking every attention module costs ~10 ms: only when a flag changes.
        vae = getattr(pipe, "vae", None)
        if vae is not None and hasattr(vae, "enable_tiling"):
            tile_vae(vae, plan.vae_tile)
        if hasattr(pipe, "enable_attention_slicing"):
            if plan.attention_slicing:
                pipe.enable_attention_slicing()
            else:
                pipe.disable_attention_slicing()
        pipe._studio_plan_flags = flags
    return place
