"""Frame helpers for the live loop: input conversion, centre-crop resize, similarity filter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.core.errors import BadInput

_THUMB = 64  # the filter compares about 64 x 64 samples: cheap and enough to see motion


def to_rgb_array(frame: Any) -> Any:
    """An H x W x 3 uint8 numpy array from a PIL image, an array (RGB/RGBA/grey) or a path."""
    import numpy as np

    if isinstance(frame, str | Path):
        from studio.core.imageio import load_image

        # the shared loader: format, size and decompression-bomb checks before decoding
        try:
            return np.asarray(load_image(frame))
        except BadInput as exc:
            raise BadInput(
                f"Could not read the image {Path(frame).name}: {exc.user_message}", exc.detail
            ) from None
    if hasattr(frame, "convert") and hasattr(frame, "size"):  # PIL image
        return np.asarray(frame.convert("RGB"))
    array = np.asarray(frame)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or min(array.shape[:2]) < 8:
        raise BadInput(f"A live frame must be an RGB image; got an array of shape {array.shape}.")
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating):  # floats in [0, 1]
            array = (np.clip(array, 0.0, 1.0) * 255).round()
        array = array.astype(np.uint8)
    return np.ascontiguousarray(array[..., :3])


def centre_crop(rgb: Any, height: int, width: int) -> Any:
    """The largest centred region of ``rgb`` with the aspect ratio ``width / height``."""
    h, w = rgb.shape[:2]
    if w * height > h * width:  # too wide
        new_w = max(1, round(h * width / height))
        x = (w - new_w) // 2
        return rgb[:, x : x + new_w]
    new_h = max(1, round(w * height / width))
    y = (h - new_h) // 2
    return rgb[y : y + new_h]


def to_device_frame(rgb: Any, size: tuple[int, int], device: str) -> Any:
    """Centre-crop and resize (antialiased, on the device) to ``size`` = (height, width)."""
    import torch

    height, width = size
    cropped = centre_crop(rgb, height, width)
    tensor = torch.from_numpy(cropped.copy()).to(device, non_blocking=True)
    if tensor.shape[:2] == (height, width):
        return tensor
    chw = tensor.permute(2, 0, 1)[None].float()
    resized = torch.nn.functional.interpolate(
        chw, size=(height, width), mode="bilinear", antialias=True, align_corners=False
    )
    return resized[0].clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).contiguous()


def similarity(a: Any, b: Any) -> float:
    """1 minus the mean absolute difference of two thumbnails (1.0: identical)."""
    import numpy as np

    return float(1.0 - np.abs(a - b).mean() / 255.0)


def thumbnail(rgb: Any) -> Any:
    import numpy as np

    h, w = rgb.shape[:2]
    step_y, step_x = max(1, h // _THUMB), max(1, w // _THUMB)
    return rgb[::step_y, ::step_x].astype(np.float32).mean(axis=2)


class SimilarityFilter:
    """Skips input frames nearly identical to the last rendered one, ``max_skip`` in a row.

    ``None`` frames (txt2img) count as identical to each other. Settings changes are the
    caller's business: it renders whenever the settings differ, whatever the filter says.
    """

    def __init__(self, threshold: float = 0.98, max_skip: int = 10) -> None:
        self.threshold = threshold
        self.max_skip = max_skip
        self.skipped = 0
        self._has_ref = False
        self._ref: Any = None
        self.last_similarity: float | None = None

    def should_skip(self, rgb: Any) -> bool:
        if not self._has_ref:
            return False
        if rgb is None or self._ref is None:
            score = 1.0 if rgb is None and self._ref is None else 0.0
        else:
            thumb = thumbnail(rgb)
            score = similarity(thumb, self._ref) if thumb.shape == self._ref.shape else 0.0
        self.last_similarity = score
        if score >= self.threshold and self.skipped < self.max_skip:
            self.skipped += 1
            return True
        return False

    def rendered(self, rgb: Any) -> None:
        """Remember the input that was just rendered and reset the skip count."""
        self._ref = None if rgb is None else thumbnail(rgb)
        self._has_ref = True
        self.skipped = 0
