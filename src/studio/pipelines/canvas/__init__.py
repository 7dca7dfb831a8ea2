"""Canvas pipelines (Qt-free). ``JOBS`` maps job kinds to runners for the service.

The wrappers import each pipeline only when a job of that kind runs, so importing this
package (the service does at start-up) costs nothing.
"""

from __future__ import annotations

from typing import Any


def _segment(request: Any, ctx: Any) -> Any:
    from studio.pipelines.canvas import segment

    return segment.run(request, ctx)


def _remove(request: Any, ctx: Any) -> Any:
    from studio.pipelines.canvas import remove

    return remove.run(request, ctx)


def _fill(request: Any, ctx: Any) -> Any:
    from studio.pipelines.canvas import fill

    return fill.run(request, ctx)


def _cutout(request: Any, ctx: Any) -> Any:
    from studio.pipelines.canvas import cutout

    return cutout.run(request, ctx)


def _upscale(request: Any, ctx: Any) -> Any:
    from studio.pipelines.canvas import upscale

    return upscale.run(request, ctx)


# These honour ctx.low_memory (smaller working size / tiles, VAE tiling, attention slicing).
for _runner in (_remove, _fill, _upscale):
    _runner.low_memory_mode = True  # type: ignore[attr-defined]

JOBS = {
    "canvas.segment": _segment,
    "canvas.remove": _remove,
    "canvas.fill": _fill,
    "canvas.cutout": _cutout,
    "canvas.upscale": _upscale,
}
