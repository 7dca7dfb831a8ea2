"""Loading spandrel models (LaMa, RRDBNet) from the store through the warm-model cache."""

from __future__ import annotations

from typing import Any

from studio.core.errors import BadInput
from studio.pipelines.context import RunContext


def load_spandrel(ctx: RunContext, model_id: str, filename: str, expect_arch: str) -> Any:
    """The spandrel ``ModelDescriptor`` for ``model_id`` on ``ctx.device``, in eval mode."""
    path = ctx.store.require(model_id) / filename
    entry = ctx.store.catalogue.get(model_id)

    def loader() -> Any:
        from spandrel import ModelLoader, UnsupportedModelError

        try:
            desc = ModelLoader(device="cpu").load_from_file(path)
        except (UnsupportedModelError, Exception) as exc:
            # a cut-short or overwritten file fails in many ways (OSError from torch's zip
            # reader, UnpicklingError, SafetensorError, KeyError...): all mean "damaged"
            raise BadInput(
                f"The weights of '{entry.name}' could not be read; delete and download them "
                "again from the Models dialog.",
                str(exc),
            ) from exc
        if desc.architecture.id != expect_arch:
            raise BadInput(
                f"'{path.name}' holds a {desc.architecture.id} model, not {expect_arch}."
            )
        desc.eval()
        desc.to(ctx.device)
        if ctx.is_cuda and desc.supports_half:
            desc.half()  # callers feed ctx.dtype inputs when the model supports half
        return desc

    return ctx.model(f"{model_id}:{ctx.device}", loader, entry.vram_bytes)


def to_tensor(arr: Any, device: str, dtype: Any) -> Any:
    """``HxWxC`` (or ``HxW``) uint8 -> ``1xCxHxW`` float in [0, 1] on ``device``.

    The uint8 pixels travel (a quarter of the bytes of floats) and are converted there.
    """
    import numpy as np
    import torch

    a = np.asarray(arr)
    if not (a.flags.c_contiguous and a.flags.writeable):
        a = np.ascontiguousarray(a) if a.flags.writeable else a.copy()
    t = torch.from_numpy(a)
    t = t[:, :, None] if t.ndim == 2 else t
    t = t.to(device)
    return t.permute(2, 0, 1)[None].to(dtype) / 255.0


def to_uint8(t: Any) -> Any:
    """``1xCxHxW`` float in [0, 1] -> ``HxWxC`` uint8 numpy (converted before the download)."""
    return (t[0].float().clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()
