"""Talking live (``lipsync.talk``): speech in chunks as it is spoken -> the avatar's frames
as soon as their audio is there, and the take kept as an MP4 when the speech stops.

The loop runs on the device thread. Each turn takes every chunk waiting in the
:class:`~studio.pipelines.lipsync.talk_feed.AudioFeed`, adds it to the sliding Whisper
window (:class:`~studio.pipelines.lipsync.features.SlidingFeatureWindow`) and to the
recording, then renders every frame (25 fps, one per 40 ms of audio) whose audio window is
complete, with the same models, avatar cache, UNet step and compositing as a render
(``render.py``; a clip avatar loops forward-backward as in ``video_render.py``).

Latency: frame ``f`` shows the audio from ``40 f`` to ``40 f + 40`` ms, and MuseTalk's window
needs 80 ms after that (``features.LOOKAHEAD_STEPS``), so the mouth can move at the earliest
80 ms after the speech it shows ends, plus the chunk's length (a chunk arrives once its last
sample was spoken) and the render time. For each frame two figures are kept:
``latency`` (the chunk holding the frame's last sample arrived -> the frame is ready) and
``speech_to_mouth`` (the end of the frame's 40 ms of speech was spoken -> the frame is ready).

The take goes through :class:`~studio.pipelines.live.recording.LiveRecorder` on the audio's
own timeline (frame ``f`` at ``f / 25`` s, each sample at its index / 16000 s), so picture
and sound are in sync whatever the render's pace. Stop (the feed closes) renders the last
frames and finishes the file; cancel keeps what was made too. A take with no frame (stopped
before any speech) or a failure leaves no file.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import BadInput, Cancelled
from studio.pipelines.context import RunContext
from studio.pipelines.lipsync import models as lm
from studio.pipelines.lipsync.audio import MODEL_RATE
from studio.pipelines.lipsync.talk_feed import AudioFeed

FPS = 25
FRAME_SAMPLES = MODEL_RATE // FPS
MAX_TAKE_SECONDS = 3600.0
STAGE = "Talking live"
# frames per UNet call at most: a backlog (after a stall) is caught up a second at a time
BATCH = 25
NOTHING_SAID = "You stopped before saying anything, so no take was kept. Start, speak, then Stop."


@dataclass
class TalkLiveRequest:
    """``feed`` brings the speech; ``on_frame`` sees every frame as it is made (device thread),
    ``on_ready`` is called when the loop starts listening (device thread). The look settings
    mean what they mean for a render's ``RenderRequest``."""

    avatar: Path
    feed: AudioFeed
    output: Path
    mouth_scale: float = 1.0
    bbox_shift: int = 0
    smoothing: float = 0.2
    idle_motion: bool = True
    max_seconds: float = 600.0
    cache_dir: Path | None = None
    on_frame: Callable[[TalkFrame], None] | None = None
    # called once the models are loaded and the avatar prepared, just before listening: start
    # the microphone there, so speech does not queue up behind the loading
    on_ready: Callable[[], None] | None = None
    poll_s: float = 0.02  # how long a turn waits for speech before checking cancel again


@dataclass(frozen=True)
class TalkFrame:
    index: int
    t: float  # where it sits on the audio's timeline, seconds
    image: np.ndarray  # (512, 512, 3) uint8 RGB
    latency_ms: float  # its last chunk arrived -> ready
    speech_to_mouth_ms: float  # the end of its speech was spoken -> ready


@dataclass
class TalkLiveResult:
    output: Path
    frames: int
    duration_s: float
    audio_s: float
    avatar_from_cache: bool
    latency_ms: dict[str, float]  # p50, p95, max of chunk arrival -> frame ready
    speech_to_mouth_ms: dict[str, float]  # p50, p95, max of speech spoken -> frame ready
    render_fps: float  # frames per second of render time: 25 or more keeps up
    warnings: list[str] = field(default_factory=list)


def check_talk_request(request: TalkLiveRequest) -> None:
    """Refuse impossible settings and an output that must not be written, before any work."""
    from studio.core.outputs import check_output
    from studio.pipelines.lipsync.render import MAX_BBOX_SHIFT, MAX_MOUTH_SCALE, MAX_SMOOTHING
    from studio.pipelines.lipsync.render import _number as number

    number(request.mouth_scale, "Mouth openness", 0.0, MAX_MOUTH_SCALE)
    number(request.bbox_shift, "The face crop shift", -MAX_BBOX_SHIFT, MAX_BBOX_SHIFT, whole=True)
    number(request.smoothing, "Smoothing", 0.0, MAX_SMOOTHING)
    number(request.max_seconds, "The longest take", 1.0, MAX_TAKE_SECONDS)
    check_output(request.output, inputs=(request.avatar,), extensions=(".mp4",), create_parent=True)


def run_talk_live(request: TalkLiveRequest, ctx: RunContext) -> TalkLiveResult:
    """Render the avatar talking as the speech arrives; see the module docstring."""
    from studio.pipelines.lipsync.render import _prepare, _require_models

    check_talk_request(request)
    _require_models(ctx)
    avatar, comp = _prepare(request, ctx)  # a photo without a face is refused here: no file
    ctx.check()
    talker = _Talker(request, ctx, avatar, comp)
    try:
        if request.on_ready is not None:
            request.on_ready()
        ctx.progress(STAGE, 0, 0)  # listening: the window says so before the first frame
        talker.run()
    except Cancelled:
        talker.finish_or_abort()  # the take so far is kept: cancel is an abrupt Stop
        raise
    except BaseException:
        talker.recorder.abort()
        raise
    return talker.result(avatar.from_cache)


class _Talker:
    """The loop's state: sliding audio window, arrivals, render state and the recording."""

    def __init__(self, request: TalkLiveRequest, ctx: RunContext, avatar: Any, comp: Any) -> None:
        import torch

        from studio.pipelines.lipsync.features import SlidingFeatureWindow
        from studio.pipelines.live.recording import LiveRecorder

        self.request, self.ctx, self.comp = request, ctx, comp
        self.unet, self.vae = lm.load_unet(ctx), lm.load_vae(ctx)
        self.window = SlidingFeatureWindow(lm.load_audio_encoder(ctx), FPS)
        self.video = hasattr(comp, "latents_for")  # a clip: latents change every frame
        self.latents: Any = (
            None if self.video else torch.from_numpy(avatar.latents).to(ctx.device, ctx.dtype)[None]
        )
        self.state: dict[str, Any] = {"prev": None}
        self.arrivals: deque[tuple[int, float]] = deque()  # (samples so far, arrival time)
        self.done = 0
        self.latencies: list[float] = []
        self.speech_to_mouth: list[float] = []
        self.busy_s = 0.0
        self.warnings: list[str] = []
        self.limit = int(request.max_seconds * MODEL_RATE)
        # wait_when_full: the take keeps every frame; the loop only waits if the encoder is
        # a whole second behind, which a 512 px ultrafast H.264 never is on a real machine.
        self.recorder = LiveRecorder(
            request.output, fps=FPS, audio_rate=MODEL_RATE, max_pending=FPS, wait_when_full=True
        )
        self.saved: Any = None

    def run(self) -> None:
        feed = self.request.feed
        ended = False
        while not ended:
            self.ctx.check()
            chunks, ended = feed.take(self.request.poll_s)
            for chunk in chunks:
                room = self.limit - self.window.total
                samples = chunk.samples[: max(0, room)]
                if len(samples):
                    self.recorder.add_audio(samples, self.window.total / MODEL_RATE)
                    self.window.append(samples)
                    self.arrivals.append((self.window.total, chunk.arrived))
                if room <= len(chunk.samples):
                    ended = True
                    minutes = self.request.max_seconds / 60
                    self.warnings.append(f"The take stopped at its limit of {minutes:g} min.")
                    feed.close()
                    break
            self._render(self.window.frames_ready(final=ended))
        if self.done == 0:
            raise BadInput(NOTHING_SAID)
        self.saved = self.recorder.finish()

    def finish_or_abort(self) -> None:
        if self.done:
            self.saved = self.recorder.finish()
        else:
            self.recorder.abort()

    def _render(self, ready: int) -> None:
        """Frames ``done .. ready-1``, a batch at a time (cancel is checked between batches)."""
        while self.done < ready:
            self._render_batch(self.done, min(ready, self.done + BATCH))
            if self.done < ready:
                self.ctx.check()

    def _render_batch(self, start: int, end: int) -> None:
        from studio.pipelines.lipsync.render import _generate

        t0 = time.perf_counter()
        feats = self.window.tokens(start, end)
        batch = self.comp.latents_for(start, end) if self.video else self.latents
        crops = _generate(self.unet, self.vae, batch, batch[:, 4:], feats, self.request, self.state)
        frames = self.comp.paste(crops, start)  # (n, 512, 512, 3) uint8 on the host
        ready_at = self.request.feed.clock()
        self.busy_s += time.perf_counter() - t0
        for i, image in enumerate(frames):
            index = start + i
            latency, spoken = self._delays(index, ready_at)
            self.latencies.append(latency)
            self.speech_to_mouth.append(spoken)
            self.recorder.add_frame(image, index / FPS, copy=False)
            if self.request.on_frame is not None:
                self.request.on_frame(TalkFrame(index, index / FPS, image, latency, spoken))
        self.done = end
        from PIL import Image

        self.ctx.progress(STAGE, end, 0, Image.fromarray(frames[-1]))

    def _delays(self, index: int, ready_at: float) -> tuple[float, float]:
        """(chunk arrival -> ready, speech spoken -> ready) in ms for frame ``index``."""
        frame_end = (index + 1) * FRAME_SAMPLES
        while len(self.arrivals) > 1 and self.arrivals[0][0] < frame_end:
            self.arrivals.popleft()  # chunks before this frame's last sample: never needed again
        if not self.arrivals:
            return 0.0, 0.0
        chunk_end, arrived = self.arrivals[0]
        # the frame's last sample was spoken (chunk_end - frame_end) samples before its chunk
        # arrived (a chunk arrives when its last sample has been spoken)
        spoken = arrived - max(0, chunk_end - frame_end) / MODEL_RATE
        return (ready_at - arrived) * 1000, (ready_at - spoken) * 1000

    def result(self, from_cache: bool) -> TalkLiveResult:
        saved = self.saved
        return TalkLiveResult(
            output=Path(saved.path),
            frames=saved.frames,
            duration_s=saved.duration_s,
            audio_s=self.window.total / MODEL_RATE,
            avatar_from_cache=from_cache,
            latency_ms=percentiles(self.latencies),
            speech_to_mouth_ms=percentiles(self.speech_to_mouth),
            render_fps=self.done / self.busy_s if self.busy_s > 0 else 0.0,
            warnings=self.warnings,
        )


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and max, rounded to 0.1 ms (zeros when there are none)."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    data = np.asarray(values, np.float64)
    return {
        "p50": round(float(np.percentile(data, 50)), 1),
        "p95": round(float(np.percentile(data, 95)), 1),
        "max": round(float(data.max()), 1),
    }
