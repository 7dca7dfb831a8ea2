"""Lipsync: the production ``prepare_avatar`` and ``render`` (speech to H.264 + AAC MP4),
talking live, and video avatars.

Sections (``--only``): ``avatar`` (``avatar_prepare_s`` for a new photo, ``avatar_cached_load_s``
for one seen before), ``render`` (per speech length: ``total_<n>s_audio_s``,
``first_chunk_<n>s_audio_s``, ``realtime_factor_<n>s``, ``frames_<n>s``; 10 s and 60 s, or
1 s with ``--smoke``; ``--seconds`` picks one length), ``talk`` (the ``lipsync.talk`` path fed
by a speech file in real time, 80 ms chunks, as a microphone would: ``speech_to_mouth_p50_ms`` /
``_p95_ms``, ``latency_p50_ms`` / ``_p95_ms`` (chunk arrival -> frame), ``sustained_fps``
(frames made per second of speech: 25 when it keeps up), ``render_fps`` (its capacity); 20 s
of speech, 1 s with ``--smoke``) and ``video_avatar`` (``prepare_<n>s_clip_s`` for a new clip
of 10 s, 0.4 s with ``--smoke``, and ``cached_load_<n>s_clip_s``). A warm-up render loads the
models first. The avatar is a synthetic portrait whose face the stand-in detector finds.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from scripts.bench.harness import Bench
from scripts.bench.models import LIPSYNC_DETECTOR, install

SECTIONS = ("avatar", "render", "talk", "video_avatar")
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


def bench_talk(bench: Bench, ctx: Any, tmp: Path, seconds: float) -> dict[str, Any]:
    from studio.pipelines.lipsync.talk_feed import AudioFeed, FileInputBackend, MicrophoneFeed
    from studio.pipelines.lipsync.talk_live import TalkLiveRequest, run_talk_live

    avatar = avatar_png(tmp / "talker.png")

    def talk(wav: Path, realtime: bool, shown: list[float]) -> Any:
        feed = AudioFeed()
        mic = MicrophoneFeed(feed, FileInputBackend(wav, realtime=realtime), chunk_ms=80)
        request = TalkLiveRequest(
            avatar,
            feed,
            wav.with_suffix(".mp4"),
            cache_dir=tmp / "cache",
            on_frame=lambda frame: shown.append(time.perf_counter()),
            on_ready=mic.start,
        )
        result = run_talk_live(request, ctx)
        mic.join()
        return result

    talk(speech_wav(tmp / "talk-warmup.wav", 0.6), False, [])  # models loaded, avatar cached
    shown: list[float] = []
    result = talk(speech_wav(tmp / "talk.wav", seconds), True, shown)
    spoken_s = result.audio_s
    span = shown[-1] - shown[0] if len(shown) > 1 else 0.0
    return {
        "speech_s": round(spoken_s, 3),
        "chunk_ms": 80,
        "frames": result.frames,
        "speech_to_mouth_p50_ms": result.speech_to_mouth_ms["p50"],
        "speech_to_mouth_p95_ms": result.speech_to_mouth_ms["p95"],
        "latency_p50_ms": result.latency_ms["p50"],
        "latency_p95_ms": result.latency_ms["p95"],
        "sustained_fps": (len(shown) - 1) / span if span > 0 else 0.0,
        "render_fps": result.render_fps,
    }


def avatar_clip(path: Path, seconds: float, seed: int = 0) -> Path:
    """A clip of the synthetic portrait swaying slowly (25 fps, 512 px), written with PyAV."""
    import av
    from tests.fixtures.lipsync_models import avatar_image

    face = avatar_image(1, 512)
    face[0, 0] = seed % 256  # a different clip (a new cache key), same face
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 512, 512, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for i in range(int(seconds * 25)):
            dx = int(12 * np.sin(2 * np.pi * i / 50))
            frame = np.roll(face, dx, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def bench_video_avatar(bench: Bench, ctx: Any, tmp: Path, seconds: float) -> dict[str, Any]:
    from studio.pipelines.lipsync.video_avatar import (
        PrepareVideoAvatarRequest,
        prepare_video_avatar,
    )

    cache = tmp / "video-cache"

    def prepare(clip: Path) -> Any:
        return prepare_video_avatar(PrepareVideoAvatarRequest(clip, cache_dir=cache), ctx)

    prepare(avatar_clip(tmp / "warmup.mp4", 0.08, seed=1))  # the detector and VAE loaded
    clip = avatar_clip(tmp / "clip.mp4", seconds)
    fresh = bench.clock(lambda: prepare(clip))
    cached = bench.clock(lambda: prepare(clip))
    assert prepare(clip).from_cache
    n = f"{seconds:g}"
    return {f"prepare_{n}s_clip_s": fresh, f"cached_load_{n}s_clip_s": cached}


def run_all(bench: Bench, ctx: Any, args: Any, tmp: Path) -> None:
    install(ctx, bench.size, *MODELS, using={"antelopev2": LIPSYNC_DETECTOR})
    if args.seconds:
        lengths: tuple[float, ...] = (args.seconds,)
    else:
        lengths = (1,) if bench.smoke else (10, 60)
    bench.section("avatar", lambda: bench_avatar(bench, ctx, tmp))
    bench.section("render", lambda: bench_render(bench, ctx, tmp, lengths))
    talk_s, clip_s = (1.0, 0.4) if bench.smoke else (20.0, 10.0)
    bench.section("talk", lambda: bench_talk(bench, ctx, tmp, talk_s))
    bench.section("video_avatar", lambda: bench_video_avatar(bench, ctx, tmp, clip_s))
