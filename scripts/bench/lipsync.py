"""Lipsync: the production ``prepare_avatar`` and ``render`` (speech to H.264 + AAC MP4).

Sections (``--only``): ``avatar`` (``avatar_prepare_s`` for a new photo, ``avatar_cached_load_s``
for one seen before) and ``render`` (per speech length: ``total_<n>s_audio_s``,
``first_chunk_<n>s_audio_s``, ``realtime_factor_<n>s``, ``frames_<n>s``; 10 s and 60 s, or
1 s with ``--smoke``; ``--seconds`` picks one length). A warm-up render loads the
models first. The avatar is a synthetic portrait whose face the stand-in detector finds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scripts.bench.harness import Bench
from scripts.bench.models import LIPSYNC_DETECTOR, install

SECTIONS = ("avatar", "render")
MODELS = ("musetalk-v15", "sd-vae-ft-mse", "whisper-tiny", "face-parse-bisenet", "antelopev2")


def speech_wav(path: Path, seconds: float) -> Path:
    """Speech-like audio: voiced harmonics under a 4 Hz syllable envelope, 44.1 kHz."""
    from studio.pipelines.lipsync.audio import write_wav

    rate = 44100
    t = np.arange(int(seconds * rate)) / rate
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    voiced = sum(np.sin(2 * np.pi * f * t) / i for i, f in enumerate((140, 280, 420), 1))
    noise = 0.01 * np.random.default_rng(0).standard_normal(t.size)
    return Path(write_wav(path, (0.2 * syllables * voiced + noise).astype(np.float32), rate))


def avatar_png(path: Path, seed: int = 0) -> Path:
    from PIL import Image
    from tests.fixtures.lipsync_models import avatar_image

    image = avatar_image(1, 768)
    image[0, 0] = seed % 256  # a different photo (a new cache key), same face
    Image.fromarray(image).save(path)
    return path


def bench_avatar(bench: Bench, ctx: Any, tmp: Path) -> dict[str, Any]:
    from studio.pipelines.lipsync.avatar import PrepareAvatarRequest, prepare_avatar

    fresh = iter(range(1, 10**6))

    def prepare(path: Path) -> Any:
        return prepare_avatar(PrepareAvatarRequest(path, cache_dir=tmp / "cache"), ctx)

    new = bench.time(lambda: prepare(avatar_png(tmp / f"a{next(fresh)}.png", next(fresh))))
    seen = avatar_png(tmp / "seen.png")
    prepare(seen)
    cached = bench.time(lambda: prepare(seen))
    assert prepare(seen).from_cache
    return {
        "avatar_prepare_s": new["median_ms"] / 1000,
        "avatar_cached_load_s": cached["median_ms"] / 1000,
    }


def bench_render(bench: Bench, ctx: Any, tmp: Path, lengths: tuple[float, ...]) -> dict[str, Any]:
    from studio.pipelines.lipsync.render import RenderRequest, render

    avatar = avatar_png(tmp / "avatar.png")

    def request(seconds: float, name: str) -> RenderRequest:
        wav = speech_wav(tmp / f"{name}.wav", seconds)
        return RenderRequest(avatar, wav, tmp / f"{name}.mp4", cache_dir=tmp / "cache")

    render(request(min(lengths), "warmup"), ctx)
    out: dict[str, Any] = {}
    for seconds in lengths:
        n = f"{seconds:g}"
        req = request(seconds, f"speech{n}")
        done: list[Any] = []
        wall = bench.clock(lambda r=req, d=done: d.append(render(r, ctx)))
        result = done[0]
        out[f"total_{n}s_audio_s"] = wall
        out[f"first_chunk_{n}s_audio_s"] = result.first_chunk_s
        out[f"realtime_factor_{n}s"] = seconds / wall
        out[f"frames_{n}s"] = result.frames
    return out


def run_all(bench: Bench, ctx: Any, args: Any, tmp: Path) -> None:
    install(ctx, bench.size, *MODELS, using={"antelopev2": LIPSYNC_DETECTOR})
    if args.seconds:
        lengths: tuple[float, ...] = (args.seconds,)
    else:
        lengths = (1,) if bench.smoke else (10, 60)
    bench.section("avatar", lambda: bench_avatar(bench, ctx, tmp))
    bench.section("render", lambda: bench_render(bench, ctx, tmp, lengths))
