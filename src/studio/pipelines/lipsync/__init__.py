"""Lipsync pipelines (Qt-free): MuseTalk 1.5 avatar preparation and talking-head rendering.

``JOBS`` maps job kinds to runners; the wrappers import the heavy modules only when run.
"""

from __future__ import annotations

from typing import Any


def _prepare_avatar(request: Any, ctx: Any) -> Any:
    from studio.pipelines.lipsync.avatar import prepare_avatar

    return prepare_avatar(request, ctx)


def _render(request: Any, ctx: Any) -> Any:
    from studio.pipelines.lipsync.render import render

    return render(request, ctx)


JOBS = {
    "lipsync.prepare_avatar": _prepare_avatar,
    "lipsync.render": _render,
}
