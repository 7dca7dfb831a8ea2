"""Talking-head rendering with MuseTalk 1.5: speech + prepared avatar -> 512x512 25 fps MP4.

Frames are made in chunks of at most ``chunk_seconds`` of audio: Whisper tokens for the chunk,
batched single-step UNet and VAE decode (fp16 on CUDA), paste-back through the blend mask,
subtle idle motion and yuv420p conversion, all on the device; each batch is copied back
asynchronously and encoded by the writer's helper thread while the GPU works on the next one.
Progress is reported and cancel is checked per chunk; a cancelled render leaves no output file.

Idle motion is a slow, small head sway (rotation under a degree, a few pixels of drift) applied
to the whole composited frame, plus blinks (``blinks.py``) folded into the same sampling grid.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput
from studio.pipelines.context import RunContext
from studio.pipelines.lipsync import models as lm
from studio.pipelines.lipsync.audio import DEFAULT_MAX_SECONDS, MIN_SECONDS, load_speech
from studio.pipelines.lipsync.avatar import CROP, FRAME, PrepareAvatarRequest, prepare_avatar

FPS = 25
MAX_MOUTH_SCALE = 3.0
MAX_BBOX_SHIFT = 100
MAX_SMOOTHING = 0.9
MAX_BATCH = 256
MAX_SECONDS_LIMIT = 3600.0


@dataclass
class RenderRequest:
    """Settings: ``mouth_scale`` (1 = the model's own motion, <1 calmer, >1 livelier),
    ``bbox_shift`` (face-crop shift in pixels), ``smoothing`` (0..0.9, frame-to-frame latent
    smoothing carried across chunks), ``idle_motion`` (slight head sway)."""

    avatar: Path
    audio: Path
    output: Path
    mouth_scale: float = 1.0
    bbox_shift: int = 0
    smoothing: float = 0.2
    idle_motion: bool = True
    batch_size: int = 25  # one second of video per UNet + VAE call
    chunk_seconds: float = 3.0
    max_seconds: float = DEFAULT_MAX_SECONDS
    cache_dir: Path | None = None


@dataclass
class RenderResult:
    output: Path
    frames: int
    duration_s: float
    avatar_from_cache: bool
    first_chunk_s: float
    seconds: float
    warnings: list[str] = field(default_factory=list)


def render(request: RenderRequest, ctx: RunContext) -> RenderResult:
    """Render the talking-head video; see the module docstring."""
    import torch

    from studio.pipelines.lipsync.encode import VideoWriter
    from studio.pipelines.lipsync.features import AudioFeatureStream

    t0 = time.perf_counter()
    check_request(request)
    speech = load_speech(request.audio, max_seconds=request.max_seconds)
    _require_models(ctx)
    avatar, comp = _prepare(request, ctx)
    ctx.check()
    unet, vae, encoder = lm.load_unet(ctx), lm.load_vae(ctx), lm.load_audio_encoder(ctx)
    stream = AudioFeatureStream(encoder, speech.mono16k, FPS)
    total = stream.frames
    chunk = max(1, min(int(request.chunk_seconds * FPS), 3 * FPS))
    video_avatar = hasattr(comp, "latents_for")  # a clip: latents change every frame
    latents: Any = (
        None if video_avatar else torch.from_numpy(avatar.latents).to(ctx.device, ctx.dtype)[None]
    )
    state: dict[str, Any] = {"prev": None}
    writer = VideoWriter(
        request.output, size=FRAME, fps=FPS, audio=speech.original, audio_rate=speech.rate
    )
    first_chunk = 0.0
    try:
        ctx.progress("Rendering", 0, total)
        for start, end in _chunks(total, chunk):
            tokens = stream.window(start, end)
            for b0 in range(start, end, request.batch_size):
                b1 = min(end, b0 + request.batch_size)
                feats = tokens[b0 - start : b1 - start]
                batch = comp.latents_for(b0, b1) if video_avatar else latents
                crops = _generate(unet, vae, batch, batch[:, 4:], feats, request, state)
                # Each batch goes to the encoder as soon as it is queued on the GPU: no sync.
                writer.write_yuv420(*comp.paste_yuv(crops, b0))
            # The preview lags one chunk so that waiting for it never drains the GPU queue
            # (the UNet's many small launches would then leave the GPU idle); the first
            # chunk's is waited for, which is also when the first frames exist.
            preview = comp.preview(wait=start == 0)
            if start == 0:
                first_chunk = time.perf_counter() - t0
            ctx.progress("Rendering", end, total, preview)
            ctx.check()
        writer.finish()
        ctx.progress("Rendering", total, total, comp.preview(wait=True))
    except BaseException:
        writer.abort()
        raise
    return RenderResult(
        Path(request.output),
        total,
        total / FPS,
        avatar.from_cache,
        first_chunk,
        time.perf_counter() - t0,
        list(speech.warnings),
    )


def _prepare(request: Any, ctx: RunContext) -> tuple[Any, Any]:
    """The prepared avatar (a photo, or a clip: see ``video_avatar``) and its compositor;
    ``request`` has ``avatar``, ``bbox_shift``, ``cache_dir`` and ``idle_motion`` (a render's
    or a live talk's)."""
    from studio.pipelines.lipsync.video_avatar import (
        PrepareVideoAvatarRequest,
        is_video_avatar,
        prepare_video_avatar,
    )

    if is_video_avatar(request.avatar):
        from studio.pipelines.lipsync.video_render import VideoCompositor

        clip = prepare_video_avatar(
            PrepareVideoAvatarRequest(request.avatar, request.bbox_shift, request.cache_dir), ctx
        )
        return clip, VideoCompositor(ctx, clip)
    avatar = prepare_avatar(
        PrepareAvatarRequest(request.avatar, request.bbox_shift, request.cache_dir), ctx
    )
    return avatar, Compositor(ctx, avatar, request.idle_motion)


def _require_models(ctx: RunContext) -> None:
    """Name every missing model in one message (not one per failed run)."""
    from studio.pipelines.faces import DEFAULT_PACK

    needed = [lm.UNET_ID, lm.VAE_ID, lm.WHISPER_ID]
    if not all(ctx.store.is_installed(m) for m in needed):
        # the face detector is only needed for a new avatar, but one download beats two
        needed.append(DEFAULT_PACK)
    ctx.store.require_all(*needed)


def _number(value: Any, name: str, lo: float, hi: float, *, whole: bool = False) -> None:
    ok = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not math.isfinite(value) or not lo <= value <= hi:
        kind = "a whole number" if whole else "a number"
        raise BadInput(f"{name} must be {kind} from {lo:g} to {hi:g} (got {value!r}).")


def check_request(request: RenderRequest) -> None:
    """Refuse impossible settings and an output that must not be written, before any work."""
    from studio.core.outputs import VIDEO_EXTENSIONS, check_output

    _number(request.mouth_scale, "Mouth openness", 0.0, MAX_MOUTH_SCALE)
    _number(request.bbox_shift, "The face crop shift", -MAX_BBOX_SHIFT, MAX_BBOX_SHIFT, whole=True)
    _number(request.smoothing, "Smoothing", 0.0, MAX_SMOOTHING)
    _number(request.batch_size, "The batch size", 1, MAX_BATCH, whole=True)
    _number(request.chunk_seconds, "The chunk length", 0.04, 60.0)
    _number(request.max_seconds, "The longest audio", MIN_SECONDS, MAX_SECONDS_LIMIT)
    check_output(
        request.output,
        inputs=(request.avatar, request.audio),
        extensions=VIDEO_EXTENSIONS,
        create_parent=True,
    )


def _chunks(total: int, chunk: int) -> list[tuple[int, int]]:
    # A short first chunk (1 s) gets video out sooner; the rest use the full chunk length.
    bounds, start = [], 0
    while start < total:
        end = min(total, start + (min(chunk, FPS) if start == 0 else chunk))
        bounds.append((start, end))
        start = end
    return bounds


def _generate(
    unet: Any,
    vae: Any,
    latents: Any,
    reference: Any,
    feats: Any,
    request: Any,
    state: dict[str, Any],
) -> Any:
    """One batch: UNet step at t=0, openness, smoothing, VAE decode -> (n, 3, 256, 256).
    ``request`` gives ``mouth_scale`` and ``smoothing`` (a render's or a live talk's)."""
    import torch

    n = feats.shape[0]
    pe = state.get("pe")
    if pe is None or pe.shape[1] != feats.shape[1]:
        # Made once per render: a host-to-device copy per batch would sync the stream.
        pe = lm.positional_encoding(feats.shape[1]).to(feats.device, feats.dtype)[None]
        state["pe"] = pe
    with torch.inference_mode():
        timestep = torch.zeros(1, device=latents.device, dtype=torch.long)
        pred = unet(
            latents.expand(n, -1, -1, -1), timestep, encoder_hidden_states=feats + pe
        ).sample
        if request.mouth_scale != 1.0:
            pred = reference + request.mouth_scale * (pred - reference)
        if request.smoothing > 0:
            out, prev, a = [], state["prev"], request.smoothing
            for i in range(n):
                cur = pred[i] if prev is None else (1 - a) * pred[i] + a * prev
                out.append(cur)
                prev = cur
            state["prev"] = prev
            pred = torch.stack(out)
        images = vae.decode(pred / lm.VAE_SCALE).sample
    return images.float().clamp(-1, 1).add(1).mul(0.5)


class Compositor:
    """Pastes generated crops into the avatar frame through the blend mask, adds idle sway,
    and converts to the encoder's yuv420p on the device (half the bytes of RGB to copy back,
    and no colour conversion on the CPU)."""

    def __init__(self, ctx: RunContext, avatar: Any, idle_motion: bool) -> None:
        import torch
        import torch.nn.functional as F

        self.device = ctx.device
        x0, y0, x1, y1 = avatar.box
        self.box = (x0, y0, x1, y1)
        frame = torch.from_numpy(avatar.frame.copy())  # PNG-loaded arrays are read-only
        self.frame = frame.to(ctx.device).permute(2, 0, 1).float() / 255
        mask = torch.from_numpy(avatar.mask).to(ctx.device)[None, None]
        self.mask = F.interpolate(
            mask, size=(y1 - y0, x1 - x0), mode="bilinear", align_corners=False
        )[0]
        self.idle = idle_motion
        eyes = getattr(avatar, "eyes", None)
        self.lid_shift = None
        if idle_motion and eyes is not None:
            from studio.pipelines.lipsync.blinks import lid_shift_field

            # in grid_sample's normalised units (2 / height per pixel)
            self.lid_shift = lid_shift_field(eyes, FRAME, ctx.device) * (2.0 / FRAME)
        self._last: Any = None
        self._pending: list[tuple[Any, Any]] = []  # previews being copied back

    def composite(self, crops: Any, start: int) -> Any:
        """(n,3,256,256) in [0,1] -> (n,3,512,512) float frames in [0,1] on the device."""
        import torch.nn.functional as F

        x0, y0, x1, y1 = self.box
        n = crops.shape[0]
        gen = F.interpolate(
            crops.to(self.device), size=(y1 - y0, x1 - x0), mode="bilinear", align_corners=False
        )
        frames = self.frame.expand(n, -1, -1, -1).clone()
        region = frames[:, :, y0:y1, x0:x1]
        frames[:, :, y0:y1, x0:x1] = region * (1 - self.mask) + gen * self.mask
        if self.idle:
            frames = self._sway(frames, start)
        return frames.clamp_(0, 1)

    def paste(self, crops: Any, start: int) -> Any:
        """(n,3,256,256) in [0,1] -> (n,512,512,3) uint8 RGB numpy frames."""
        frames = self.composite(crops, start)
        return (frames * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()

    def paste_yuv(self, crops: Any, start: int) -> tuple[Any, Any]:
        """Composite and convert to yuv420p; returns (host tensor, CUDA event or None) for
        :meth:`VideoWriter.write_yuv420`. On CUDA the copy back is asynchronous."""
        import torch

        frames = self.composite(crops, start)
        self._last = frames[-1]
        planes = rgb_to_yuv420(frames)
        if planes.device.type != "cuda":
            return planes.cpu(), None
        host = torch.empty(planes.shape, dtype=torch.uint8, pin_memory=True)
        host.copy_(planes, non_blocking=True)
        ready = torch.cuda.Event()
        ready.record()
        return host, ready

    def preview(self, wait: bool = False) -> Any:
        """A PIL preview: with ``wait``, of the last composited frame; otherwise of the one
        before the last call (already on the host by now), and the current one starts its
        asynchronous copy. None when there is nothing yet."""
        import torch
        from PIL import Image

        if self._last is None:
            return None
        frame = (self._last * 255).round().byte().permute(1, 2, 0).contiguous()
        if frame.device.type == "cuda":
            host = torch.empty(frame.shape, dtype=torch.uint8, pin_memory=True)
            host.copy_(frame, non_blocking=True)
            ready = torch.cuda.Event()
            ready.record()
            self._pending.append((host, ready))
        else:
            self._pending.append((frame, None))
        if not wait and len(self._pending) < 2:
            return None
        host, ready = self._pending.pop() if wait else self._pending.pop(0)
        if wait:
            self._pending.clear()
        if ready is not None:
            ready.synchronize()
        return Image.fromarray(host.numpy())

    def _sway(self, frames: Any, start: int) -> Any:
        import torch
        import torch.nn.functional as F

        n = frames.shape[0]
        t = (torch.arange(start, start + n, device=frames.device, dtype=torch.float32)) / FPS
        # Incommensurate slow periods so the motion never visibly loops.
        angle = math.radians(0.6) * torch.sin(2 * math.pi * t / 4.7)
        dx = 0.006 * torch.sin(2 * math.pi * t / 6.3 + 1.0)
        dy = 0.004 * torch.sin(2 * math.pi * t / 3.9 + 2.0)
        cos, sin = torch.cos(angle) * 1.01, torch.sin(angle) * 1.01  # 1 % zoom hides the edges
        theta = torch.stack([torch.stack([cos, -sin, dx], 1), torch.stack([sin, cos, dy], 1)], 1)
        grid = F.affine_grid(theta.to(frames.dtype), list(frames.shape), align_corners=False)
        if self.lid_shift is not None:
            from studio.pipelines.lipsync.blinks import closure

            amounts = [closure(i) for i in range(start, start + n)]
            if any(amounts):  # decided on the host: no GPU sync between blinks
                shut = torch.tensor(amounts, dtype=grid.dtype)
                if frames.device.type == "cuda":  # pinned + async: no wait for the GPU queue
                    shut = shut.pin_memory().to(frames.device, non_blocking=True)
                grid = grid.clone()
                grid[..., 1] -= shut[:, None, None] * self.lid_shift.to(grid.dtype)
        return F.grid_sample(
            frames, grid, mode="bilinear", padding_mode="border", align_corners=False
        )


def rgb_to_yuv420(frames: Any) -> Any:
    """(n,3,H,W) RGB in [0,1] -> (n, H*3/2, W) uint8 yuv420p: BT.601 limited range, chroma
    averaged over 2x2 blocks (what FFmpeg's swscale produced here for untagged rgb24)."""
    import torch
    import torch.nn.functional as F

    r, g, b = frames[:, 0], frames[:, 1], frames[:, 2]
    y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
    rgb_small = F.avg_pool2d(frames, 2)
    r2, g2, b2 = rgb_small[:, 0], rgb_small[:, 1], rgb_small[:, 2]
    u = 128 - 37.797 * r2 - 74.203 * g2 + 112.0 * b2
    v = 128 + 112.0 * r2 - 93.786 * g2 - 18.214 * b2
    n, h, w = y.shape
    flat = torch.cat([y.reshape(n, -1), u.reshape(n, -1), v.reshape(n, -1)], 1)
    return flat.round_().clamp_(0, 255).to(torch.uint8).reshape(n, h * 3 // 2, w)


__all__ = ["CROP", "RenderRequest", "RenderResult", "render"]
