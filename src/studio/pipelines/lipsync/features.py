"""Whisper-tiny audio tokens per video frame, computed lazily so rendering can start early.

MuseTalk's windowing: the encoder's input embedding and its 4 layer outputs are stacked (5 x
384 per 20 ms step, 50 steps a second); frame ``f`` at 25 fps sees steps ``2f-4 .. 2f+5`` (two
frames of context each side, zero-padded at the ends), flattened to 50 tokens of 384.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from studio.pipelines.lipsync.models import AudioEncoder

RATE = 16000
STEPS_PER_SECOND = 50
SEGMENT = 30 * RATE  # Whisper's fixed input window
PAD_LEFT = 2
PAD_RIGHT = 2
TOKENS = 2 * (PAD_LEFT + PAD_RIGHT + 1)  # steps per frame window (x 5 layers = 50 tokens)


class AudioFeatureStream:
    """Encodes 30 s Whisper segments only when a frame window first needs them."""

    def __init__(self, encoder: AudioEncoder, mono16k: np.ndarray, fps: int = 25) -> None:
        self.encoder = encoder
        self.audio = mono16k
        self.fps = fps
        self.step = STEPS_PER_SECOND / fps
        self.frames = math.floor(len(mono16k) / RATE * fps)
        self.steps = math.floor(len(mono16k) / RATE * STEPS_PER_SECOND)
        self._segments: list[Any] = []  # each (steps, layers, 384) on the device

    def _encoded_steps(self) -> int:
        return sum(int(s.shape[0]) for s in self._segments)

    def _ensure(self, steps: int) -> None:
        import torch

        steps = min(steps, self.steps)
        while self._encoded_steps() < steps:
            start = len(self._segments) * SEGMENT
            piece = self.audio[start : start + SEGMENT]
            mel = self.encoder.extractor(
                piece, sampling_rate=RATE, return_tensors="pt", device=self.encoder.device
            ).input_features
            with torch.inference_mode():
                out = self.encoder.encoder(
                    mel.to(self.encoder.device, self.encoder.dtype), output_hidden_states=True
                )
            stacked = torch.stack(out.hidden_states, dim=2)[0]  # (1500, layers, 384)
            self._segments.append(stacked)

    def window(self, start: int, end: int) -> Any:
        """Tokens for frames ``start..end-1``: (n, 10 * layers, 384)."""
        import torch

        first = math.floor(start * self.step) - PAD_LEFT * 2
        last = math.floor((end - 1) * self.step) - PAD_LEFT * 2 + TOKENS
        self._ensure(last)
        feats = torch.cat(self._segments, dim=0)[: self.steps]
        layers, dim = feats.shape[1], feats.shape[2]
        lo, hi = max(first, 0), min(last, self.steps)
        span = torch.zeros(last - first, layers, dim, device=feats.device, dtype=feats.dtype)
        if hi > lo:
            span[lo - first : hi - first] = feats[lo:hi]
        windows = []
        for f in range(start, end):
            off = math.floor(f * self.step) - PAD_LEFT * 2 - first
            windows.append(span[off : off + TOKENS].reshape(TOKENS * layers, dim))
        return torch.stack(windows)


SAMPLES_PER_STEP = RATE // STEPS_PER_SECOND  # 320: one Whisper step, 20 ms
# Frame f needs steps up to 2f + 5 (its own two and PAD_RIGHT frames' worth after them), so it
# can be made once the audio reaches the end of frame f + PAD_RIGHT: a lookahead of 80 ms at
# 25 fps, the least MuseTalk's windowing allows without zero-filling real speech. With the
# frame's own 40 ms, a frame is ready 120 ms of audio after it starts, plus chunking and
# compute time (see talk_live.py).
LOOKAHEAD_STEPS = TOKENS - 2 * PAD_LEFT  # frame f needs 2f + 6 steps: 120 ms of audio


class SlidingFeatureWindow:
    """Whisper tokens for speech that arrives in chunks (talking live).

    Keeps the last ``context_s`` seconds (cut at frame boundaries) and encodes them with the
    same :class:`AudioFeatureStream` as a render, so a live frame hears its speech exactly as
    the offline render windows it; only the future beyond the lookahead is unknown (silence).
    """

    def __init__(self, encoder: AudioEncoder, fps: int = 25, context_s: float = 8.0) -> None:
        if STEPS_PER_SECOND % fps or STEPS_PER_SECOND // fps != 2:
            raise ValueError("MuseTalk's audio windows are made for 25 fps")
        self.encoder = encoder
        self.fps = fps
        self.frame_samples = RATE // fps  # 640
        self.context = int(context_s * fps) * self.frame_samples
        self.audio = np.zeros(0, np.float32)
        self.offset = 0  # global sample index of audio[0]: always a whole number of frames
        self.total = 0  # samples received so far

    def append(self, mono16k: np.ndarray) -> None:
        chunk = np.asarray(mono16k, np.float32).reshape(-1)
        self.audio = np.concatenate([self.audio, chunk])
        self.total += len(chunk)

    def frames_ready(self, final: bool = False) -> int:
        """How many frames (from 0) have all the audio they need; at the end (``final``) every
        whole frame, the last ones zero-padded as a render pads the end of a file."""
        if final:
            return self.total // self.frame_samples
        need = LOOKAHEAD_STEPS * SAMPLES_PER_STEP  # frame 0 is ready at 1920 samples
        return 0 if self.total < need else (self.total - need) // self.frame_samples + 1

    def tokens(self, start: int, end: int) -> Any:
        """Tokens for global frames ``start .. end-1`` (n, 50, 384), then forget audio older
        than the context before ``end``."""
        first = self.offset // self.frame_samples
        if start < first:
            raise ValueError(f"frame {start} is older than the kept context (from {first})")
        stream = AudioFeatureStream(self.encoder, self.audio, self.fps)
        tokens = stream.window(start - first, end - first)
        keep_from = max(0, end * self.frame_samples - self.context)
        if keep_from > self.offset:
            self.audio = self.audio[keep_from - self.offset :]
            self.offset = keep_from
        return tokens
