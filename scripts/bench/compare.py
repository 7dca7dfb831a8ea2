"""Studio against the plain library path, in the same process: ratio and tolerance.

Every compared job reports ``studio_ms`` and ``plain_ms`` (median wall time of the same work
done the plain way: the library's own pipeline or model call, as its documentation shows),
``ratio`` = plain / studio (above 1: Studio is faster) and ``tolerance``: how far each faster
path lands from the eager reference (``max_abs`` in levels of 255 for images, PSNR in dB).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def job(studio: dict[str, float], plain: dict[str, float] | None, **extra: Any) -> dict[str, Any]:
    """One compared job from two :meth:`Bench.time` results (``plain`` None: no plain path)."""
    out: dict[str, Any] = {"studio_ms": studio["median_ms"]}
    if plain is not None:
        out["plain_ms"] = plain["median_ms"]
        out["ratio"] = round(plain["median_ms"] / max(studio["median_ms"], 1e-9), 3)
    out.update(extra)
    return out


def headline(section: dict[str, Any], name: str) -> None:
    """Copy job ``name``'s numbers to the top of its section (the README table's row)."""
    chosen = section["jobs"][name]
    for key in ("studio_ms", "plain_ms", "ratio", "tolerance", "path"):
        if key in chosen:
            section[key] = chosen[key]
    section["headline_job"] = name


def image_tolerance(result: Any, reference: Any) -> dict[str, float]:
    """Max / mean absolute difference (levels of 255) and PSNR of two uint8 images."""
    a = np.asarray(result, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    diff = np.abs(a - b)
    mse = float(np.mean(diff**2))
    psnr = float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
    return {
        "max_abs": float(diff.max()),
        "mean_abs": float(diff.mean()),
        "psnr_db": round(psnr, 2) if np.isfinite(psnr) else "identical",
    }


def tensor_tolerance(result: Any, reference: Any) -> dict[str, float]:
    """Max absolute and max relative (to the reference's largest magnitude) difference."""
    a = result.detach().float().cpu()
    b = reference.detach().float().cpu()
    diff = float((a - b).abs().max())
    return {"max_abs": diff, "max_rel": diff / max(float(b.abs().max()), 1e-12)}


def mask_iou(a: Any, b: Any) -> float:
    """Intersection over union of two masks (non-zero = selected); 1.0 when both are empty."""
    x, y = np.asarray(a) > 0, np.asarray(b) > 0
    union = np.logical_or(x, y).sum()
    return 1.0 if union == 0 else float(np.logical_and(x, y).sum() / union)
