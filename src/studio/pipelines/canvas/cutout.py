"""Background cut-out with rembg (U2-Net by default; IS-Net and BiRefNet selectable).

The ONNX file comes from the model store: rembg finds an existing ``<name>.onnx`` under
``U2NET_HOME``, which we point at the store folder while the session is created, so rembg
never downloads anything itself. rembg is imported lazily (its first import is slow).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from studio.core.errors import BadInput
from studio.core.imageio import check_mask, to_array
from studio.pipelines.context import RunContext

# model id -> rembg session name (the file is "<name>.onnx" in the store folder)
CUTOUT_MODELS = {
    "rembg-u2net": "u2net",
    "rembg-isnet-general-use": "isnet-general-use",
    "rembg-birefnet-general": "birefnet-general",
}
_ENV_LOCK = threading.Lock()  # U2NET_HOME is process-wide: set it for one session at a time


@dataclass
class CutoutRequest:
    image: Any
    model: str = "rembg-u2net"
    background: tuple[int, int, int] | None = None  # None = transparent (RGBA)
    post_process: bool = False  # rembg's morphological clean-up of the mask


@dataclass
class CutoutResult:
    image: Any  # HxWx4 uint8 (transparent) or HxWx3 (solid background)
    mask: Any  # HxW uint8 alpha, editable afterwards; re-apply with apply_mask()


def _session(ctx: RunContext, model_id: str) -> Any:
    if model_id not in CUTOUT_MODELS:
        raise BadInput(f"Unknown cut-out model '{model_id}' (use {', '.join(CUTOUT_MODELS)}).")
    name = CUTOUT_MODELS[model_id]
    folder = ctx.store.require(model_id)
    entry = ctx.store.catalogue.get(model_id)

    def loader() -> Any:
        import onnxruntime as ort
        from rembg import new_session

        providers = ["CPUExecutionProvider"]
        if ctx.is_cuda and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        with _ENV_LOCK:
            saved = os.environ.get("U2NET_HOME")
            os.environ["U2NET_HOME"] = str(folder)
            try:
                return new_session(name, providers=providers)
            except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
                raise BadInput(
                    f"The cut-out model '{entry.name}' could not be loaded; download it again.",
                    str(exc),
                ) from exc
            finally:
                if saved is None:
                    os.environ.pop("U2NET_HOME", None)
                else:
                    os.environ["U2NET_HOME"] = saved

    return ctx.model(f"{model_id}:{ctx.device}", loader, entry.vram_bytes)


def apply_mask(image: Any, mask: Any, background: tuple[int, int, int] | None = None) -> Any:
    """Composite ``image`` over transparency (RGBA) or a solid colour using ``mask`` as alpha."""
    import numpy as np

    arr = to_array(image)
    alpha = check_mask(mask, (arr.shape[1], arr.shape[0]), allow_empty=True)
    if background is None:
        return np.dstack([arr, alpha])
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    bg = np.array(background, dtype=np.float32)[None, None, :]
    return np.clip(np.round(arr * a + bg * (1 - a)), 0, 255).astype(np.uint8)


def run(request: CutoutRequest, ctx: RunContext) -> CutoutResult:
    """Separate the subject from the background."""
    import numpy as np
    from PIL import Image

    bg = request.background
    if bg is not None and (
        len(bg) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in bg)
    ):
        raise BadInput(f"The background must be three values from 0 to 255 (got {bg!r}).")
    arr = to_array(request.image)
    session = _session(ctx, request.model)
    ctx.check()
    ctx.progress("Cutting out", 0, 1)
    from rembg import remove

    mask_img = remove(
        Image.fromarray(arr),
        session=session,
        only_mask=True,
        post_process_mask=request.post_process,
    )
    ctx.check()
    mask = np.array(mask_img.convert("L"), dtype=np.uint8)
    ctx.progress("Cutting out", 1, 1)
    return CutoutResult(image=apply_mask(arr, mask, request.background), mask=mask)
