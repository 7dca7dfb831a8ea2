"""Lipsync pipelines (Qt-free): MuseTalk 1.5 avatar preparation and talking-head rendering.

``JOBS`` declares the job kinds; each runner's module is imported only when it first runs.
"""

from __future__ import annotations

from studio.pipelines.jobspec import JobSpec

JOBS: dict[str, JobSpec] = {
    "lipsync.prepare_avatar": JobSpec("studio.pipelines.lipsync.avatar:prepare_avatar"),
    "lipsync.render": JobSpec("studio.pipelines.lipsync.render:render"),
    # talking live: runs until its audio feed closes (Stop), see talk_live.py
    "lipsync.talk": JobSpec("studio.pipelines.lipsync.talk_live:run_talk_live"),
}
