"""One way to load an installed model's files: a damaged file becomes :class:`ModelDamaged`.

Every pipeline loader that reads weights from the store wraps the reading in
:func:`load_or_damaged`, so a truncated ``unet.pth``, a garbled ``.onnx`` or a half-written
``config.json`` gives the user "damaged, download again" instead of a traceback, whichever
library (torch, safetensors, onnxruntime, insightface, transformers) noticed it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from studio.core.errors import ModelDamaged, StudioError

if TYPE_CHECKING:
    from studio.models.catalogue import Catalogue

T = TypeVar("T")
log = logging.getLogger(__name__)


def load_or_damaged(
    model_id: str, loader: Callable[[], T], catalogue: Catalogue | None = None
) -> T:
    """``loader()``, with any failure to read the model's files raised as :class:`ModelDamaged`.

    Not rewrapped: :class:`StudioError` (the loader's own, clearer message, or ModelMissing),
    running out of memory (not the file's fault) and a missing Python package (ImportError).
    ``catalogue`` names the model in the message (the shipped one when not given).
    """
    try:
        return loader()
    except (StudioError, MemoryError, ImportError):
        raise
    except Exception as exc:  # noqa: BLE001 - torch/onnxruntime/safetensors raise their own types
        if _is_out_of_memory(exc):
            raise
        log.warning("model %s could not be loaded: %r", model_id, exc)
        raise ModelDamaged(model_id, _model_name(model_id, catalogue), repr(exc)[:2000]) from exc


def _is_out_of_memory(exc: BaseException) -> bool:
    # torch.cuda.OutOfMemoryError is a RuntimeError; checked by name so torch need not load.
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def _model_name(model_id: str, catalogue: Catalogue | None) -> str:
    try:
        if catalogue is None:
            from studio.models.catalogue import load_catalogue

            catalogue = load_catalogue()
        return catalogue.get(model_id).name
    except (KeyError, OSError, ValueError):
        return model_id
